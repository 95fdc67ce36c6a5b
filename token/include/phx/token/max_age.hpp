#pragma once

#include <cstdint>
#include <limits>

namespace phx::token {

/// How long a token stays valid after it was signed: a number of seconds, or
/// no limit (Elixir's `:infinity`). Zero or less makes every token expired.
/// Held in milliseconds because Phoenix compares `signed_at + max_age * 1000`
/// with the clock in milliseconds, and an Elixir token may carry a float.
class max_age {
public:
  /// Implicit, so that `options.max_age = 3600;` reads as Phoenix's option.
  constexpr max_age(std::int64_t seconds) noexcept : ms_(saturating_ms(seconds)) {}

  /// Elixir's `:infinity`: the token never expires.
  static constexpr max_age infinity() noexcept { return max_age{infinite_tag{}}; }

  /// A limit below a second's precision (what a float of seconds becomes).
  static constexpr max_age milliseconds(std::int64_t ms) noexcept {
    return max_age{ms, ms_tag{}};
  }

  constexpr bool is_infinity() const noexcept { return infinite_; }
  /// The limit in milliseconds; meaningless when `is_infinity()`.
  constexpr std::int64_t milliseconds() const noexcept { return ms_; }

  friend constexpr bool operator==(const max_age& a, const max_age& b) noexcept {
    return a.infinite_ == b.infinite_ && (a.infinite_ || a.ms_ == b.ms_);
  }
  friend constexpr bool operator!=(const max_age& a, const max_age& b) noexcept {
    return !(a == b);
  }

private:
  struct infinite_tag {};
  struct ms_tag {};
  constexpr explicit max_age(infinite_tag) noexcept : infinite_(true) {}
  constexpr max_age(std::int64_t ms, ms_tag) noexcept : ms_(ms) {}

  // Erlang integers have no overflow; saturating keeps "a very long time"
  // meaning that instead of wrapping to a negative, already-expired age.
  static constexpr std::int64_t saturating_ms(std::int64_t seconds) noexcept {
    constexpr auto limit = std::numeric_limits<std::int64_t>::max() / 1000;
    if (seconds > limit)
      return std::numeric_limits<std::int64_t>::max();
    if (seconds < -limit)
      return std::numeric_limits<std::int64_t>::min();
    return seconds * 1000;
  }

  std::int64_t ms_ = 0;
  bool infinite_ = false;
};

/// Phoenix's default: one day.
inline constexpr std::int64_t default_max_age_seconds = 86400;

} // namespace phx::token
