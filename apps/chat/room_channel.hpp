#pragma once

#include <phx/phx.hpp>

/// A chat room: "room:<name>". Members send "new_msg" {body}; everyone in the
/// room, the sender included, gets "new_msg" {name, body}.
class room_channel : public phx::channel {
public:
  phx::join_result join(const std::string& topic, const phx::json& params,
                        phx::socket& s) override;
  phx::in_result handle_in(const std::string& event, const phx::json& payload,
                           phx::socket& s) override;
  phx::out_result handle_info(const caf::message& msg, phx::socket& s) override;
};
