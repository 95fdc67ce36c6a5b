#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

// What crosses between node bridges. Every type here is serializable
// (inspect) and announced to CAF (cluster_node::configure), the atoms are
// CAF atoms. Change any of it and bump cluster_protocol_version: nodes of
// different versions refuse each other.
namespace phx::detail {

/// The version of the messages below; also CAF's application identifier
/// ("phx-cluster-<version>"), so that CAF itself refuses other builds.
constexpr std::uint32_t cluster_protocol_version = 1;

/// A broadcast as it crosses to a peer: the payload is JSON text, or raw
/// bytes when `binary`. Sent once per peer node, fanned out there.
struct node_broadcast {
  std::string topic;
  std::string event;
  std::string payload;
  bool binary = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_broadcast& x) {
  return f(caf::meta::type_name("phx::node_broadcast"), x.topic, x.event, x.payload, x.binary);
}

/// What a flow counts for one broadcast; both ends compute it alike.
inline std::uint64_t wire_size(const node_broadcast& x) noexcept {
  return x.topic.size() + x.event.size() + x.payload.size() + 16;
}

/// The first message of a handshake (see peer_auth).
struct cluster_hello {
  std::uint32_t version = 0;
  std::string name;  ///< the dialer's node name
  std::string nonce; ///< the dialer's challenge
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_hello& x) {
  return f(caf::meta::type_name("phx::cluster_hello"), x.version, x.name, x.nonce);
}

} // namespace phx::detail

// The bridge's own range of type ids: phx::cluster sits beside phx::actors
// in the dependency graph, so it cannot continue that chain.
CAF_BEGIN_TYPE_ID_BLOCK(phx_cluster, caf::first_custom_type_id + 1000)

  CAF_ADD_TYPE_ID(phx_cluster, (phx::detail::node_broadcast))
  CAF_ADD_TYPE_ID(phx_cluster, (phx::detail::cluster_hello))

  /// (hello_atom, cluster_hello) -> std::string nonce: a dialer's first step.
  CAF_ADD_ATOM(phx_cluster, phx::detail, hello_atom, "phx_hello")
  /// (auth_atom, std::string proof, uint64 received) -> (std::string proof, uint64 received):
  /// the dialer proves itself, the acceptor answers with its proof; each
  /// tells how many broadcast bytes it has received from the other.
  CAF_ADD_ATOM(phx_cluster, phx::detail, auth_atom, "phx_auth")
  /// (node_broadcast_atom, node_broadcast): a peer's broadcast.
  CAF_ADD_ATOM(phx_cluster, phx::detail, node_broadcast_atom, "phx_nbcast")
  /// (heartbeat_atom, uint64 received): alive, and has received that many
  /// broadcast bytes from the receiver in all (the acknowledgement).
  CAF_ADD_ATOM(phx_cluster, phx::detail, heartbeat_atom, "phx_hbeat")
  /// (dial_atom, std::size_t peer): local timer, dial a configured peer.
  CAF_ADD_ATOM(phx_cluster, phx::detail, dial_atom, "phx_dial")

CAF_END_TYPE_ID_BLOCK(phx_cluster)
