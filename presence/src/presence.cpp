#include "phx/presence/presence.hpp"

namespace phx {

void presence::push_state(channel_socket& s) const {
  // The answer comes after the join reply (the channel subscribes before it
  // handles anything else), and after any diff the client already buffers.
  list(s).then([&s](const json& state) { s.push("presence_state", state); });
}

void presence::track_and_push_state(channel_socket& s, std::string key, json meta) const {
  s.request(tracker_, timeout, track_atom_v, s.actor(), s.topic(), std::move(key), std::move(meta),
            s.restarts(), list_atom_v)
    .then([&s, tracker = tracker_](const json& state) {
      s.push("presence_state", state);
      s.send(tracker, detail::announce_atom_v, s.actor());
    });
}

} // namespace phx
