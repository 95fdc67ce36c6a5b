#pragma once

#include <caf/type_id.hpp>

#include "phx/pubsub/atoms.hpp"

// The atoms of the engine's own messages (transport -> connection ->
// supervisor -> channel). They live in phx::detail: user code never sends
// them. The block continues phx_pubsub's; an application's block starts at
// `caf::id_block::phx_actors::end`:
//
//     CAF_BEGIN_TYPE_ID_BLOCK(my_app, caf::id_block::phx_actors::end)
//       CAF_ADD_ATOM(my_app, my_app, tick_atom, "tick")
//     CAF_END_TYPE_ID_BLOCK(my_app)
CAF_BEGIN_TYPE_ID_BLOCK(phx_actors, caf::id_block::phx_pubsub::end)

  /// (frame_atom, std::string data, bool binary): transport -> connection.
  CAF_ADD_ATOM(phx_actors, phx::detail, frame_atom, "phx_frame")
  /// (closed_atom): transport -> connection, the client is gone.
  CAF_ADD_ATOM(phx_actors, phx::detail, closed_atom, "phx_closed")
  /// (start_atom, id, child_spec_ptr): connection -> supervisor, a new join.
  CAF_ADD_ATOM(phx_actors, phx::detail, start_atom, "phx_start")
  /// (dismiss_atom, id): connection -> supervisor, a duplicate join replaces
  /// this instance: kill it, never restart it.
  CAF_ADD_ATOM(phx_actors, phx::detail, dismiss_atom, "phx_dismis")
  /// (join_atom): supervisor -> new channel server, join (or rejoin) now.
  CAF_ADD_ATOM(phx_actors, phx::detail, join_atom, "phx_join")
  /// (joined_atom, id, bool accepted): channel server -> connection, after
  /// the join reply was written and the topic subscribed.
  CAF_ADD_ATOM(phx_actors, phx::detail, joined_atom, "phx_joined")
  /// (inbound_atom, message): connection -> channel server, a client event.
  CAF_ADD_ATOM(phx_actors, phx::detail, inbound_atom, "phx_in")
  /// (leave_atom, message): connection -> channel server, phx_leave.
  CAF_ADD_ATOM(phx_actors, phx::detail, leave_atom, "phx_leave")
  /// (restart_atom, id, restart_policy::end, std::string why) -> (bool restart,
  /// std::uint32_t restarts):
  /// channel server -> supervisor, "I ended this way: restart me in place?".
  CAF_ADD_ATOM(phx_actors, phx::detail, restart_atom, "phx_rstart")
  /// (restarting_atom, id): supervisor -> connection, the instance died and a
  /// fresh one is joining: hold the topic's frames.
  CAF_ADD_ATOM(phx_actors, phx::detail, restarting_atom, "phx_rstng")
  /// (ended_atom, id, bool graceful): supervisor -> connection, the instance
  /// is gone for good (phx_close or phx_error).
  CAF_ADD_ATOM(phx_actors, phx::detail, ended_atom, "phx_ended")

CAF_END_TYPE_ID_BLOCK(phx_actors)
