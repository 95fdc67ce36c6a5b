#include "phx/token/error.hpp"

namespace phx::token {

std::string_view to_string(error e) noexcept {
  switch (e) {
  case error::expired:
    return "expired";
  case error::missing:
    return "missing";
  default:
    return "invalid";
  }
}

} // namespace phx::token
