#include "room_channel.hpp"

#include "atoms.hpp"

using namespace std::chrono_literals;

phx::join_result room_channel::join(const std::string&, const phx::json&,
                                    phx::channel_socket& s) {
  // The name is the socket's (chat_socket::connect took it from the token).
  // Broadcasting inside join would miss this very client (Phoenix's
  // after_join idiom).
  s.send_self(chat::after_join_atom_v);
  return phx::join_result::ok();
}

caf::message_handler room_channel::make_handlers(phx::channel_socket& s) {
  return {
    [this, &s](chat::after_join_atom) {
      s.broadcast_or_throw("user_joined", {{"name", s.get("name")}});
      // Ask for the room's history; push it when the answer comes.
      s.request(history_, 5s, chat::history_atom_v, s.topic())
        .then([&s](const phx::json& messages) { s.push("history", {{"messages", messages}}); });
      // Who is here: this tab joins the member's metas, the page gets the
      // room's presences and then every change.
      auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
      presence_.track_and_push_state(s, s.get("name").get<std::string>(),
                                     {{"online_at", since.count()}});
    },
  };
}

phx::in_result room_channel::handle_in(const std::string& event, const phx::json& payload,
                                       phx::channel_socket& s) {
  if (event != "new_msg")
    return phx::in_result::error({{"reason", "unknown event"}});
  auto body = payload.is_object() ? payload.value("body", phx::json{}) : phx::json{};
  if (!body.is_string() || body.get<std::string>().empty())
    return phx::in_result::error({{"reason", "empty message"}});
  phx::json msg{{"name", s.get("name")}, {"body", body}};
  s.send(history_, chat::record_atom_v, s.topic(), msg);
  s.broadcast_or_throw("new_msg", std::move(msg));
  return phx::in_result::ok();
}
