#include "room_channel.hpp"

namespace {

using after_join_atom = caf::atom_constant<caf::atom("afterjoin")>;

} // namespace

phx::join_result room_channel::join(const std::string&, const phx::json& params,
                                    phx::socket& s) {
  auto name = params.value("name", std::string{});
  s.assign("name", name.empty() ? "anonymous" : name);
  // Announce the newcomer once joined: broadcasting inside join would miss
  // this very client (Phoenix's after_join idiom).
  s.send_self(after_join_atom::value);
  return phx::join_result::ok();
}

phx::in_result room_channel::handle_in(const std::string& event, const phx::json& payload,
                                       phx::socket& s) {
  if (event != "new_msg")
    return phx::in_result::error({{"reason", "unknown event"}});
  auto body = payload.is_object() ? payload.value("body", phx::json{}) : phx::json{};
  if (!body.is_string() || body.get<std::string>().empty())
    return phx::in_result::error({{"reason", "empty message"}});
  s.broadcast_or_throw("new_msg", {{"name", s.get("name")}, {"body", body}});
  return phx::in_result::ok();
}

phx::out_result room_channel::handle_info(const caf::message& msg, phx::socket& s) {
  if (msg.match_elements<after_join_atom>())
    s.broadcast_or_throw("user_joined", {{"name", s.get("name")}});
  return phx::out_result::noreply();
}
