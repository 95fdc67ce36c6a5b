#include "phx/cluster/cluster_node.hpp"

#include <stdexcept>

#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "cluster_messages.hpp"
#include "node_bridge.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/atoms.hpp"

namespace phx {

void cluster_node::configure(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  cfg.add_message_type<detail::node_broadcast>("phx::node_broadcast");
  cfg.add_message_type<detail::cluster_hello>("phx::cluster_hello");
  // CAF refuses a connection from a process with other identifiers, so a
  // build speaking another cluster protocol never gets as far as a message.
  cfg.set("middleman.app-identifiers",
          std::vector<std::string>{"phx-cluster-" + std::to_string(detail::cluster_protocol_version)});
}

cluster_node::cluster_node(caf::actor_system& sys, const phx::pubsub& pubsub, cluster_config cfg)
  : system_(sys), pubsub_(pubsub), config_(std::move(cfg)), name_(config_.name()),
    snapshot_(std::make_shared<detail::peer_snapshot>()) {
  if (!config_.enabled())
    throw std::invalid_argument("a cluster node needs a node port");
  if (config_.secret.empty())
    throw std::invalid_argument("a cluster node needs a cluster secret (--cluster-secret or "
                                "PHX_CLUSTER_SECRET)");
  if (!pubsub_)
    throw std::invalid_argument("a cluster node needs a registry");
}

cluster_node::~cluster_node() {
  stop();
}

std::uint16_t cluster_node::start() {
  if (started_)
    return config_.node_port;
  bridge_ = detail::spawn_node_bridge(system_, pubsub_.registry(), config_, snapshot_);
  // Address reuse, so that a restarted node gets its port back while
  // connections of its previous run linger in TIME-WAIT.
  auto port = system_.middleman().publish(bridge_, config_.node_port,
                                          config_.node_host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
    bridge_ = nullptr;
    throw std::runtime_error("cannot publish the node bridge on " + config_.node_host + ":"
                             + std::to_string(config_.node_port)
                             + " (in use by another process?): " + system_.render(port.error()));
  }
  caf::anon_send(pubsub_.registry(), forward_atom_v, bridge_);
  started_ = true;
  std::string peers;
  for (auto& p : config_.peers)
    peers += (peers.empty() ? "" : ", ") + p.text();
  log(log_level::info, "cluster: node ", name_, " started (node port ", *port, "), peers: ",
      peers.empty() ? "none configured" : peers);
  return *port;
}

void cluster_node::stop() {
  if (!bridge_)
    return;
  caf::anon_send(pubsub_.registry(), forward_atom_v, caf::actor{});
  caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
  bridge_ = nullptr;
  started_ = false;
}

std::vector<peer_info> cluster_node::peers() const {
  return snapshot_->load();
}

} // namespace phx
