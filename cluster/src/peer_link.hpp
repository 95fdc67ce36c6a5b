#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/node_id.hpp>

#include "peer_flow.hpp"
#include "phx/cluster/cluster_config.hpp"
#include "phx/cluster/peer_info.hpp"

namespace phx::detail {

/// The bridge's record of one peer node: how to reach it, whether it has
/// proven itself, whether broadcasts flow to it, and what it has cost.
struct peer_link {
  using clock = std::chrono::steady_clock;

  std::string name;                 ///< as dialed, or as it announced itself
  std::optional<peer_address> dial; ///< set for configured peers: redialed after a loss
  caf::actor handle;                ///< its bridge; null while not connected
  caf::node_id node;                ///< the process behind it (a restart is a new node)
  peer_state state = peer_state::connecting;
  std::string reason;               ///< why not up
  bool authenticated = false;       ///< proved the secret over the current connection
  bool silent = false;              ///< stopped answering: probed, not sent heartbeats
  bool down_for_silence = false;    ///< down only because it was silent
  bool dialing = false;             ///< a middleman connect is under way
  bool handshaking = false;         ///< a handshake this node started is under way
  bool retired = false;             ///< merged into another record of the same node
  std::uint64_t generation = 0;     ///< bumped when the connection changes: stale answers ignore themselves
  std::chrono::milliseconds backoff{0};
  clock::time_point last_seen{};
  std::chrono::system_clock::time_point last_seen_wall{};
  clock::time_point next_probe{};   ///< when a silent peer is probed again
  std::string logged_reason;        ///< the last failure logged (repeats are not)

  peer_flow flow;                   ///< bytes to it not yet acknowledged
  std::uint64_t received_bytes = 0; ///< from this node incarnation, in all
  std::uint64_t unacked_bytes = 0;  ///< received since we last told it

  std::uint64_t broadcasts_sent = 0, bytes_sent = 0;
  std::uint64_t broadcasts_received = 0, bytes_received = 0;
  std::uint64_t broadcasts_dropped = 0, link_drops = 0;
  std::uint64_t dropped_while_down = 0; ///< reported when it comes back up

  void seen() {
    last_seen = clock::now();
    last_seen_wall = std::chrono::system_clock::now();
  }

  peer_info info() const {
    return peer_info{name,         state,           reason,          dial.has_value(),
                     last_seen_wall, broadcasts_sent, bytes_sent,    broadcasts_received,
                     bytes_received, broadcasts_dropped, link_drops};
  }
};

} // namespace phx::detail
