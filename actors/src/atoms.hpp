#pragma once

// Messages between transports, connection actors and channel servers. They
// are private to phx::actors: transports use deliver_frame / notify_closed.
#include <caf/atom.hpp>

#include "phx/protocol/message.hpp"

namespace phx::detail {

/// (frame_atom, std::string data, bool binary): transport -> connection.
using frame_atom = caf::atom_constant<caf::atom("phx_frame")>;
/// (closed_atom): transport -> connection, the client is gone.
using closed_atom = caf::atom_constant<caf::atom("phx_closed")>;
/// (join_atom, message): connection -> new channel server.
using join_atom = caf::atom_constant<caf::atom("phx_join")>;
/// (joined_atom, bool accepted): channel server -> connection, after the
/// join reply was written.
using joined_atom = caf::atom_constant<caf::atom("phx_joined")>;
/// (inbound_atom, message): connection -> channel server, a client event.
using inbound_atom = caf::atom_constant<caf::atom("phx_in")>;
/// (leave_atom, message): connection -> channel server, phx_leave.
using leave_atom = caf::atom_constant<caf::atom("phx_leave")>;

} // namespace phx::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::message)
