#include "phx/presence/presence.hpp"

namespace phx {

void presence::push_state(channel_socket& s) const {
  // The answer comes after the join reply (the channel subscribes before it
  // handles anything else), and after any diff the client already buffers.
  list(s).then([&s](const json& state) { s.push("presence_state", state); });
}

} // namespace phx
