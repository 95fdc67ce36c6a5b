#include "expiry.hpp"

#include <limits>

namespace phx::token::detail {

bool expired(std::int64_t signed_at_ms, const token::max_age& age, std::int64_t now_ms) noexcept {
  if (age.is_infinity())
    return false;
  auto ms = age.milliseconds();
  if (ms <= 0)
    return true;
  // Erlang's integers do not overflow; an end past int64 is never reached.
  if (signed_at_ms > std::numeric_limits<std::int64_t>::max() - ms)
    return false;
  return signed_at_ms + ms < now_ms;
}

} // namespace phx::token::detail
