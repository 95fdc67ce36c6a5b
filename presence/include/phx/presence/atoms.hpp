#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include "phx/actors/atoms.hpp"
#include "phx/protocol/encoded_json.hpp"

namespace phx {

/// A topic's presences as a joiner gets them: encoded once, shared by
/// every joiner of a batch, never copied or encoded again.
using presence_state_ptr = encoded_json;

} // namespace phx

// The tracker's messages (see presence.hpp for their shapes). phx::presence
// sits beside the chain pubsub -> actors -> application, so its block has a
// range of its own, after phx::cluster's.
CAF_BEGIN_TYPE_ID_BLOCK(phx_presence, caf::first_custom_type_id + 1100)

  CAF_ADD_ATOM(phx_presence, phx, track_atom, "phx_track")
  CAF_ADD_ATOM(phx_presence, phx, untrack_atom, "phx_untrk")
  CAF_ADD_ATOM(phx_presence, phx, update_atom, "phx_update")
  CAF_ADD_ATOM(phx_presence, phx, list_atom, "phx_list")
  CAF_ADD_ATOM(phx_presence, phx, get_by_key_atom, "phx_getkey")
  /// (announce_atom, caf::actor owner): a channel to the tracker, after it
  /// pushed the state that track_and_push_state asked for: the others may
  /// hear of its presence now.
  CAF_ADD_ATOM(phx_presence, phx::detail, announce_atom, "phx_annc")
  /// (flush_atom): the tracker to itself, send the diffs of this batch.
  CAF_ADD_ATOM(phx_presence, phx::detail, flush_atom, "phx_pflush")
  /// (sweep_atom, caf::actor_addr owner, std::uint32_t generation): the
  /// tracker to itself, a restarted channel's old presences that its new
  /// instance did not track again leave now.
  CAF_ADD_ATOM(phx_presence, phx::detail, sweep_atom, "phx_psweep")

CAF_END_TYPE_ID_BLOCK(phx_presence)

// Local only: the tracker shares a topic's state with its joiners.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::presence_state_ptr)
