#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace phx {

/// Where the link to one peer node stands.
enum class peer_state {
  connecting, ///< dialing it, or proving who we are to each other
  up,         ///< broadcasts flow both ways
  down,       ///< lost, silent, or refused: see peer_info::reason
};

/// "connecting", "up" or "down".
const char* to_string(peer_state state) noexcept;

/// One peer as this node sees it (cluster_node::peers()).
struct peer_info {
  std::string name;            ///< the peer's host:port (as dialed, or as it announced itself)
  peer_state state = peer_state::connecting;
  std::string reason;          ///< why it is down or still connecting; empty when up
  bool dialed = false;         ///< listed in this node's peers (redialed after a loss)
  /// When a message from it last arrived; the epoch when none has.
  std::chrono::system_clock::time_point last_seen{};
  std::uint64_t broadcasts_sent = 0;
  std::uint64_t bytes_sent = 0;          ///< broadcast bytes (topic, event, payload)
  std::uint64_t broadcasts_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t broadcasts_dropped = 0;  ///< not sent because the link was not up
  std::uint64_t link_drops = 0;          ///< links dropped for a full queue
};

} // namespace phx
