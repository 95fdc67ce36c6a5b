#include "phx/presence/presence.hpp"

namespace phx {

// Both ask the tracker only once the channel is subscribed: every change
// after the state is built then reaches the client as a diff.

void presence::push_state(channel_socket& s) const {
  s.after_join([this_ = *this, &s] {
    this_.list(s).then([&s](const json& state) { s.push("presence_state", state); });
  });
}

void presence::track_and_push_state(channel_socket& s, std::string key, json meta) const {
  s.after_join([tracker = tracker_, &s, key = std::move(key), meta = std::move(meta)] {
    s.request(tracker, timeout, track_atom_v, s.actor(), s.topic(), key, meta, s.restarts(),
              list_atom_v)
      .then([&s, tracker](const presence_state_ptr& state) {
        s.push_encoded("presence_state", state);
        s.send(tracker, detail::announce_atom_v, s.actor());
      });
  });
}

} // namespace phx
