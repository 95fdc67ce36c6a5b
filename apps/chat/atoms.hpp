#pragma once

#include <phx/phx.hpp>

// The chat's own messages, in a type-id block after phx's.
CAF_BEGIN_TYPE_ID_BLOCK(phx_chat, caf::id_block::phx_actors::end)
  /// (after_join_atom): a channel's note to self, handled once joined.
  CAF_ADD_ATOM(phx_chat, chat, after_join_atom, "afterjoin")
  /// (record_atom, room, message): remember a message of a room.
  CAF_ADD_ATOM(phx_chat, chat, record_atom, "record")
  /// (history_atom, room) -> json array: a room's last messages, oldest first.
  CAF_ADD_ATOM(phx_chat, chat, history_atom, "history")
CAF_END_TYPE_ID_BLOCK(phx_chat)
