#pragma once

#include "phx/token/max_age.hpp"

#include <cstdint>
#include <optional>

namespace phx::token {

/// Options of `sign`, after Phoenix.Token.sign/4's.
struct sign_options {
  /// When the token was signed, Unix time in milliseconds; default: now.
  /// (Phoenix's `:signed_at` is in seconds; the token itself holds ms.)
  std::optional<std::int64_t> signed_at_ms;
  /// Embedded in the token; `verify` uses it unless given its own.
  token::max_age max_age = default_max_age_seconds;
};

} // namespace phx::token
