#pragma once

#include "echo_channel.hpp"

/// The conformance channel for "presence:*" (temporary): on join it tracks
/// the connection's user_id ("anon" without one) with the meta
/// `{"device": <join param "device" or null>}` and pushes presence_state;
/// `update_meta`, `list` and `untrack` exercise the presence API; every
/// other event is echo_channel's.
class presence_channel : public echo_channel {
public:
  presence_channel(caf::actor counter, const std::string& secret, phx::presence presence);

  phx::join_result join(const std::string& topic, const phx::json& params,
                        phx::channel_socket& s) override;
  phx::in_result handle_in(const std::string& event, const phx::json& payload,
                           phx::channel_socket& s) override;

private:
  phx::in_result update_meta(const phx::json& payload, phx::channel_socket& s);

  phx::presence presence_;
  std::string user_;
  phx::json device_; ///< the meta's device, kept by an update_meta without one
};
