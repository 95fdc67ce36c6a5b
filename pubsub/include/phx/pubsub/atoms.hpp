#pragma once

#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include "phx/pubsub/broadcast.hpp"
#include "phx/pubsub/subscription.hpp"

// The atoms of the registry protocol (see registry.hpp), declared the way
// every CAF version since 0.17.6 understands: `phx::subscribe_atom` is the
// type, `phx::subscribe_atom_v` the value. phx::actors continues this block
// (phx_actors, atoms.hpp there); an application starts its own block at
// `caf::id_block::phx_actors::end`.
CAF_BEGIN_TYPE_ID_BLOCK(phx_pubsub, caf::first_custom_type_id)

  CAF_ADD_ATOM(phx_pubsub, phx, subscribe_atom, "phx_sub")
  CAF_ADD_ATOM(phx_pubsub, phx, unsubscribe_atom, "phx_unsub")
  CAF_ADD_ATOM(phx_pubsub, phx, publish_atom, "phx_pub")
  /// (count_atom, std::string topic) -> size_t: subscribers of a topic (diagnostics).
  CAF_ADD_ATOM(phx_pubsub, phx, count_atom, "phx_count")
  /// (broadcast_atom, broadcast_ptr): a broadcast delivered to a plain or
  /// intercepting subscriber.
  CAF_ADD_ATOM(phx_pubsub, phx, broadcast_atom, "phx_bcast")
  /// (forward_atom, caf::actor): from now on the registry hands every
  /// broadcast published on this node to that actor (a cluster's node
  /// bridge) as (forward_atom, broadcast_ptr), before its own fan-out.
  CAF_ADD_ATOM(phx_pubsub, phx, forward_atom, "phx_fwd")
  /// (publish_atom, broadcast_ptr, caf::actor_addr, local_atom): a broadcast
  /// for this node's subscribers only (never forwarded).
  CAF_ADD_ATOM(phx_pubsub, phx, local_atom, "phx_local")

CAF_END_TYPE_ID_BLOCK(phx_pubsub)

// Local-only message types: they hold pointers and never cross nodes as is
// (the node bridge sends broadcasts in its own serializable form).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::broadcast_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::subscription)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<phx::frame>)
