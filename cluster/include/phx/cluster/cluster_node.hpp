#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "phx/cluster/cluster_config.hpp"
#include "phx/cluster/peer_info.hpp"
#include "phx/pubsub/pubsub.hpp"

namespace phx {

namespace detail {
class peer_snapshot;
}

/// This process as one node of a cluster: a node bridge, published with
/// CAF's middleman on the node port, that carries the registry's broadcasts
/// to every peer node (once per node, fanned out there) and theirs to it.
///
///     caf::actor_system_config sys_cfg;
///     phx::cluster_node::configure(sys_cfg);    // before the system exists
///     caf::actor_system sys{sys_cfg};
///     phx::cluster_node node{sys, pubsub, cfg}; // cfg.node_port, peers, secret
///     node.start();
///
/// phx::endpoint does all of this when its config has a node port.
class cluster_node {
public:
  /// Loads CAF's middleman and announces the types that cross nodes.
  static void configure(caf::actor_system_config& cfg);

  /// Checks `cfg`; nothing runs before start(). Throws
  /// std::invalid_argument when it has no node port or no secret.
  cluster_node(caf::actor_system& sys, const phx::pubsub& pubsub, cluster_config cfg);
  ~cluster_node();

  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  /// Spawns the bridge, publishes it on the node port, attaches it to the
  /// registry and starts dialing the peers; returns the bound port. Throws
  /// std::runtime_error when the port cannot be bound.
  std::uint16_t start();

  /// Detaches from the registry and stops the bridge (peers see it down).
  void stop();

  /// The peers and their state, as of the last change (any thread).
  std::vector<peer_info> peers() const;

  /// How peers know this node ("host:port").
  const std::string& name() const noexcept { return name_; }

  const caf::actor& bridge() const noexcept { return bridge_; }

private:
  caf::actor_system& system_;
  phx::pubsub pubsub_;
  cluster_config config_;
  std::string name_;
  std::shared_ptr<detail::peer_snapshot> snapshot_;
  caf::actor bridge_;
  bool started_ = false;
};

} // namespace phx
