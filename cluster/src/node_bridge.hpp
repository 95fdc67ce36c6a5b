#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "phx/cluster/cluster_config.hpp"
#include "phx/cluster/peer_info.hpp"

namespace phx::detail {

/// The bridge's peer table as the rest of the process sees it: a copy,
/// replaced by the bridge whenever it changes, readable from any thread.
class peer_snapshot {
public:
  void store(std::vector<peer_info> peers) {
    std::lock_guard<std::mutex> guard{mutex_};
    peers_ = std::move(peers);
  }

  std::vector<peer_info> load() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return peers_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<peer_info> peers_;
};

/// Spawns this node's bridge. It dials `config.peers`, accepts peers that
/// prove they know the secret, sends every broadcast the registry forwards
/// to each peer that is up (once per peer), and hands the peers' broadcasts
/// to `registry` for local delivery. It is published on the node port by
/// cluster_node, not here.
caf::actor spawn_node_bridge(caf::actor_system& sys, caf::actor registry, cluster_config config,
                             std::shared_ptr<peer_snapshot> snapshot);

} // namespace phx::detail
