#pragma once

#include <caf/atom.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <vector>

#include "phx/pubsub/broadcast.hpp"
#include "phx/pubsub/subscription.hpp"

namespace phx {

// Messages of the registry protocol (see registry.hpp).
using subscribe_atom = caf::atom_constant<caf::atom("phx_sub")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("phx_unsub")>;
using publish_atom = caf::atom_constant<caf::atom("phx_pub")>;
/// (count_atom, std::string topic) -> size_t: subscribers of a topic (diagnostics).
using count_atom = caf::atom_constant<caf::atom("phx_count")>;
/// A broadcast delivered to a plain or intercepting subscriber.
using broadcast_atom = caf::atom_constant<caf::atom("phx_bcast")>;

} // namespace phx

// Local-only message types: they hold pointers and never cross nodes as is
// (the node bridge sends broadcasts in its own serializable form).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::broadcast_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::subscription)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<phx::frame>)
