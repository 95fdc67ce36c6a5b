#include "echo_channel.hpp"
#include "presence_channel.hpp"
#include "token_events.hpp"

#include <chrono>
#include <stdexcept>

using namespace std::chrono_literals;
using phx::in_result;
using phx::json;

namespace {

in_result broadcast_result(const caf::error& err) {
  if (err)
    return in_result::error({{"reason", "payload must be a JSON object"}});
  return in_result::noreply();
}

} // namespace

caf::behavior counter_actor(caf::stateful_actor<std::int64_t>* self, std::int64_t last) {
  self->state = last;
  return {
    [self](echo::next_atom) { return ++self->state; },
  };
}

echo_channel::echo_channel(caf::actor counter, const std::string& secret)
  : counter_(std::move(counter)), secret_(secret) {
  intercept({"filtered"});
}

phx::join_result echo_channel::join(const std::string& topic, const json& params,
                                    phx::channel_socket&) {
  if (topic == "room:forbidden")
    return phx::join_result::error({{"reason", "unauthorized"}});
  join_params_ = params;
  return phx::join_result::ok({{"joined", topic}, {"params", params}});
}

in_result echo_channel::handle_in(const std::string& event, const json& payload,
                                  phx::channel_socket& s) {
  if (event == "ping")
    return in_result::ok(payload);
  if (event == "shout")
    return broadcast_result(s.broadcast("shout", payload));
  if (event == "shout_from")
    return broadcast_result(s.broadcast_from("shout", payload));
  if (event == "push_me") {
    s.push("pushed", payload);
    return in_result::ok();
  }
  if (event == "async_reply") {
    s.send_after(50ms, echo::later_atom_v, s.ref(), payload);
    return in_result::noreply();
  }
  if (event == "boom")
    throw std::runtime_error("boom requested by the client");
  if (event == "stop_me")
    return in_result::stop(phx::exit_reason::normal());
  if (event == "assigns")
    return in_result::ok({{"user_id", s.get("user_id")}});
  if (event == "join_params")
    return in_result::ok(join_params_);
  if (event == "crash_count")
    return in_result::ok({{"restarts", s.restarts()}});
  if (event == "counter")
    return next_counter_value(s);
  if (event == "sign_token")
    return sign_token(secret_, payload);
  if (event == "verify_token")
    return verify_token(secret_, payload);
  return in_result::error({{"reason", "unknown event " + event}});
}

in_result echo_channel::next_counter_value(phx::channel_socket& s) {
  // Ask the counter actor; answer the client when its reply arrives.
  s.request(counter_, 5s, echo::next_atom_v)
    .then([ref = s.ref()](std::int64_t value) { ref.reply("ok", {{"value", value}}); },
          [ref = s.ref()](caf::error& err) {
            ref.reply("error", {{"reason", caf::to_string(err)}});
          });
  return in_result::noreply();
}

phx::out_result echo_channel::handle_out(const std::string& event, const json& payload,
                                         phx::channel_socket& s) {
  // "filtered": skip the user the payload names, tell the others who saw it.
  auto& user_id = s.get("user_id");
  auto skip = payload.find("skip_user");
  if (skip != payload.end() && *skip == user_id)
    return phx::out_result::noreply();
  auto copy = payload;
  copy["seen_by"] = user_id;
  s.push(event, copy);
  return phx::out_result::noreply();
}

caf::message_handler echo_channel::make_handlers(phx::channel_socket&) {
  return {
    [](echo::later_atom, const phx::socket_ref& ref, const json& payload) {
      ref.reply("ok", payload);
    },
  };
}

bool echo_socket::connect(const phx::params& params, phx::socket& s) {
  if (auto user = params.find("user_id"); user != params.end())
    s.assign("user_id", *user);
  return true;
}

std::optional<std::string> echo_socket::id(const phx::socket& s) const {
  auto& user = s.get("user_id");
  if (user.is_string())
    return "users_socket:" + user.get<std::string>();
  return std::nullopt;
}

void echo_socket::routes(phx::router& r) {
  auto make = [this] { return std::make_unique<echo_channel>(counter_, secret_); };
  r.add("room:*", make);
  r.add("durable:*", make, phx::restart::transient(3, 5s));
  r.add("presence:*", [this] {
    return std::make_unique<presence_channel>(counter_, secret_, presence_);
  });
}
