#include "echo_channel.hpp"

#include <chrono>
#include <stdexcept>

namespace {

/// A reply due later: (reply_later_atom, socket_ref, payload).
using reply_later_atom = caf::atom_constant<caf::atom("later")>;

using phx::in_result;
using phx::json;

in_result broadcast_result(const caf::error& err) {
  if (err)
    return in_result::error({{"reason", "payload must be a JSON object"}});
  return in_result::noreply();
}

} // namespace

echo_channel::echo_channel() {
  intercept({"filtered"});
}

phx::join_result echo_channel::join(const std::string& topic, const json& params,
                                    phx::socket&) {
  if (topic == "room:forbidden")
    return phx::join_result::error({{"reason", "unauthorized"}});
  return phx::join_result::ok({{"joined", topic}, {"params", params}});
}

in_result echo_channel::handle_in(const std::string& event, const json& payload,
                                  phx::socket& s) {
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
    s.send_after(std::chrono::milliseconds(50), reply_later_atom::value, s.ref(), payload);
    return in_result::noreply();
  }
  if (event == "boom")
    throw std::runtime_error("boom requested by the client");
  if (event == "stop_me")
    return in_result::stop(phx::exit_reason::normal());
  if (event == "assigns")
    return in_result::ok({{"user_id", s.get("user_id")}});
  return in_result::error({{"reason", "unknown event " + event}});
}

phx::out_result echo_channel::handle_out(const std::string& event, const json& payload,
                                         phx::socket& s) {
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

phx::out_result echo_channel::handle_info(const caf::message& msg, phx::socket& s) {
  if (msg.match_elements<reply_later_atom, phx::socket_ref, json>())
    msg.get_as<phx::socket_ref>(1).reply("ok", msg.get_as<json>(2));
  else
    return phx::channel::handle_info(msg, s);
  return phx::out_result::noreply();
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
  r.channel<echo_channel>("room:*");
}
