#pragma once

#include "phx/token/max_age.hpp"

#include <cstdint>
#include <optional>

namespace phx::token {

/// Options of `verify`, after Phoenix.Token.verify/4's.
struct verify_options {
  /// Overrides the max age embedded in the token when set.
  std::optional<token::max_age> max_age;
  /// The clock, Unix time in milliseconds; default: the system clock. Tests
  /// set it to check expiry without waiting.
  std::optional<std::int64_t> now_ms;
};

} // namespace phx::token
