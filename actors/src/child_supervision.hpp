#pragma once

#include <cstdint>

#include "phx/actors/restart_policy.hpp"
#include "restart_intensity.hpp"

namespace phx::detail {

/// What the supervisor decides when one of its channels ends: pure logic,
/// the policy plus the intensity window, with the time passed in.
class child_supervision {
public:
  using clock = restart_intensity::clock;

  enum class verdict {
    restart, ///< the policy wants it back and the intensity allows it
    give_up, ///< the policy wants it back, but it restarted too often
    end,     ///< the policy lets it end (temporary, or an end it accepts)
  };

  explicit child_supervision(restart_policy policy)
    : policy_(policy), intensity_(policy.max_restarts, policy.window) {}

  verdict decide(restart_policy::end how, clock::time_point now) {
    if (!policy_.restarts_after(how))
      return verdict::end;
    return intensity_.allow(now) ? verdict::restart : verdict::give_up;
  }

  /// Restarts so far.
  std::uint32_t restarts() const noexcept { return static_cast<std::uint32_t>(intensity_.total()); }

  const restart_policy& policy() const noexcept { return policy_; }

private:
  restart_policy policy_;
  restart_intensity intensity_;
};

} // namespace phx::detail
