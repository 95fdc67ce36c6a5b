#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phx {

/// A peer node's bridge address, "host:port".
struct peer_address {
  std::string host;
  std::uint16_t port = 0;

  std::string text() const { return host + ":" + std::to_string(port); }

  /// Parses "host:port" (a bracketed IPv6 host, "[::1]:4100", too); nullopt
  /// when it is not one.
  static std::optional<peer_address> parse(std::string_view text);
};

/// How this process joins a cluster. Without a node port it is a single
/// node: nothing below applies and no middleman runs.
struct cluster_config {
  /// Port of this node's bridge (CAF middleman); 0 means single node.
  std::uint16_t node_port = 0;
  /// Address the bridge binds to. Loopback by default: the node port
  /// carries unencrypted broadcasts, so expose it on a private network only.
  std::string node_host = "127.0.0.1";
  /// The name peers and logs know this node by; empty: "node_host:node_port".
  std::string node_name;
  /// Peers to dial (and redial after a loss, with backoff). A peer that
  /// dials this node is accepted even when it is not listed here.
  std::vector<peer_address> peers;
  /// Shared by every node of the cluster; a peer that cannot prove it
  /// knows it is refused. Required when node_port is set.
  std::string secret;
  /// A peer silent this long is down (heartbeats go every fifth of it).
  std::chrono::milliseconds node_timeout{5000};
  /// Broadcast bytes sent to one peer and not yet acknowledged by it. Past
  /// it the link to that peer is dropped (logged, counted) and established
  /// again, so a stopped peer costs at most this much memory.
  std::size_t peer_queue_bytes = 32 * 1024 * 1024;

  bool enabled() const noexcept { return node_port != 0; }

  /// node_name, or "node_host:node_port" when it is empty.
  std::string name() const;

  /// Parses "host:port,host:port" into `peers`; false (and `error` says
  /// why) when an entry is not a host:port.
  bool set_peers(std::string_view list, std::string& error);
};

} // namespace phx
