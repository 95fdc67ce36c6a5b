#include "phx/cluster/peer_info.hpp"

namespace phx {

const char* to_string(peer_state state) noexcept {
  switch (state) {
    case peer_state::connecting: return "connecting";
    case peer_state::up: return "up";
    case peer_state::down: return "down";
  }
  return "unknown";
}

} // namespace phx
