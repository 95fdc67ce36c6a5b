#include "presence_channel.hpp"

using phx::in_result;
using phx::json;

namespace {

// Answers the client message being handled with the request's outcome.
auto reply_error(const phx::socket_ref& ref) {
  return [ref](caf::error& err) { ref.reply("error", {{"reason", caf::to_string(err)}}); };
}

} // namespace

presence_channel::presence_channel(caf::actor counter, const std::string& secret,
                                   phx::presence presence)
  : echo_channel(std::move(counter), secret), presence_(std::move(presence)) {
}

phx::join_result presence_channel::join(const std::string& topic, const json& params,
                                        phx::channel_socket& s) {
  auto result = echo_channel::join(topic, params, s);
  if (!result.accepted())
    return result;
  auto& user = s.get("user_id");
  user_ = user.is_string() ? user.get<std::string>() : user.is_null() ? "anon" : user.dump();
  device_ = params.is_object() ? params.value("device", json{}) : json{};
  presence_.track_and_push_state(s, user_, {{"device", device_}});
  return result;
}

in_result presence_channel::handle_in(const std::string& event, const json& payload,
                                      phx::channel_socket& s) {
  if (event == "update_meta")
    return update_meta(payload, s);
  if (event == "list") {
    presence_.list(s).then([ref = s.ref()](const json& list) { ref.reply("ok", list); },
                           reply_error(s.ref()));
    return in_result::noreply();
  }
  if (event == "untrack") {
    presence_.untrack(s, user_);
    return in_result::ok();
  }
  return echo_channel::handle_in(event, payload, s);
}

in_result presence_channel::update_meta(const json& payload, phx::channel_socket& s) {
  if (!payload.is_object())
    return in_result::error({{"reason", "payload must be a JSON object"}});
  auto meta = payload;
  if (meta.contains("device"))
    device_ = meta["device"];
  else
    meta["device"] = device_;
  presence_.update(s, user_, std::move(meta))
    .then([ref = s.ref()](const std::string&) { ref.reply("ok", json::object()); },
          reply_error(s.ref()));
  return in_result::noreply();
}
