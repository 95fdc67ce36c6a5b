#pragma once

#include "phx/token/max_age.hpp"

#include <cstdint>

namespace phx::token::detail {

/// Plug.Crypto's age check (v2.1.1): never with `:infinity`, always when the
/// max age is zero or less, else when `signed_at + max_age < now` (all in ms).
/// A token signed in the future is not expired: released Plug.Crypto accepts
/// it too, so tokens from a server whose clock runs ahead keep working.
bool expired(std::int64_t signed_at_ms, const token::max_age& age, std::int64_t now_ms) noexcept;

} // namespace phx::token::detail
