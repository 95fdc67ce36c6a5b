#pragma once

#include <phx/phx.hpp>

/// A chat room: "room:<name>". Members send "new_msg" {body}; everyone in the
/// room, the sender included, gets "new_msg" {name, body}. A joining member
/// first gets "history" {messages: [...]}, the room's last messages, from
/// the history keeper actor, then "presence_state": who is in the room
/// (each member tracked by name, one meta per open tab), kept current by
/// "presence_diff".
class room_channel : public phx::channel {
public:
  room_channel(caf::actor history, phx::presence presence)
    : history_(std::move(history)), presence_(std::move(presence)) {}

  phx::join_result join(const std::string& topic, const phx::json& params,
                        phx::channel_socket& s) override;
  phx::in_result handle_in(const std::string& event, const phx::json& payload,
                           phx::channel_socket& s) override;
  caf::message_handler make_handlers(phx::channel_socket& s) override;

private:
  caf::actor history_;
  phx::presence presence_;
};
