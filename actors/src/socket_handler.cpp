#include "phx/actors/socket_handler.hpp"

namespace phx {

bool socket_handler::connect(const params&, socket&) {
  return true;
}

std::optional<std::string> socket_handler::id(const socket&) const {
  return std::nullopt;
}

} // namespace phx
