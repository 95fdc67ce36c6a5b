#include "phx/actors/restart_policy.hpp"

#include <doctest/doctest.h>

#include "child_supervision.hpp"
#include "restart_intensity.hpp"

using namespace std::chrono_literals;
using end = phx::restart_policy::end;
using phx::detail::restart_intensity;

TEST_CASE("which endings each policy restarts") {
  auto temporary = phx::restart::temporary();
  CHECK_FALSE(temporary.restarts_after(end::crash));
  CHECK_FALSE(temporary.restarts_after(end::stop));
  CHECK_FALSE(temporary.restarts_after(end::client_asked));
  auto transient = phx::restart::transient();
  CHECK(transient.restarts_after(end::crash));
  CHECK_FALSE(transient.restarts_after(end::stop));
  CHECK_FALSE(transient.restarts_after(end::client_asked));
  auto permanent = phx::restart::permanent();
  CHECK(permanent.restarts_after(end::crash));
  CHECK(permanent.restarts_after(end::stop));
  CHECK_FALSE(permanent.restarts_after(end::client_asked));
}

TEST_CASE("the factories carry the intensity with a default of 3 in 5 s") {
  CHECK(phx::restart::transient().max_restarts == 3);
  CHECK(phx::restart::transient().window == 5000ms);
  constexpr auto p = phx::restart::permanent(7, 2s);
  static_assert(p.max_restarts == 7 && p.window == 2000ms, "constexpr factory");
  CHECK(phx::restart::temporary().type == phx::restart_policy::kind::temporary);
}

TEST_CASE("intensity: at most N restarts within any window, then give up") {
  restart_intensity intensity{3, 5000ms};
  restart_intensity::clock::time_point t0{};
  CHECK(intensity.allow(t0));
  CHECK(intensity.allow(t0 + 1s));
  CHECK(intensity.allow(t0 + 2s));
  CHECK_FALSE(intensity.allow(t0 + 4999ms)); // a 4th within 5 s of the 1st
  CHECK(intensity.total() == 3);
}

TEST_CASE("intensity: restarts older than the window no longer count") {
  restart_intensity intensity{3, 5000ms};
  restart_intensity::clock::time_point t0{};
  CHECK(intensity.allow(t0));
  CHECK(intensity.allow(t0 + 1s));
  CHECK(intensity.allow(t0 + 2s));
  CHECK(intensity.allow(t0 + 5s));          // the 1st is 5 s old: out of the window
  CHECK_FALSE(intensity.allow(t0 + 5500ms)); // 1 s, 2 s, 5 s are within 5 s of 5.5 s
  CHECK(intensity.allow(t0 + 6s));          // 1 s dropped out
  CHECK(intensity.total() == 5);
}

TEST_CASE("intensity: a refusal is not counted, and zero allows none") {
  restart_intensity once{1, 1000ms};
  restart_intensity::clock::time_point t0{};
  CHECK(once.allow(t0));
  CHECK_FALSE(once.allow(t0 + 100ms));
  CHECK_FALSE(once.allow(t0 + 900ms));
  CHECK(once.allow(t0 + 1000ms)); // refusals did not extend the window
  restart_intensity never{0, 1000ms};
  CHECK_FALSE(never.allow(t0));
  CHECK(never.total() == 0);
}

TEST_CASE("the supervisor's verdict: the policy first, then the intensity") {
  using phx::detail::child_supervision;
  using verdict = child_supervision::verdict;
  auto t0 = child_supervision::clock::time_point{};
  child_supervision temporary{phx::restart::temporary()};
  CHECK(temporary.decide(end::crash, t0) == verdict::end);
  child_supervision transient{phx::restart::transient(2, 1s)};
  CHECK(transient.decide(end::stop, t0) == verdict::end);
  CHECK(transient.decide(end::client_asked, t0) == verdict::end);
  CHECK(transient.decide(end::crash, t0) == verdict::restart);
  CHECK(transient.decide(end::crash, t0 + 100ms) == verdict::restart);
  CHECK(transient.decide(end::crash, t0 + 200ms) == verdict::give_up);
  CHECK(transient.restarts() == 2);
  child_supervision permanent{phx::restart::permanent(1, 1s)};
  CHECK(permanent.decide(end::stop, t0) == verdict::restart);
  CHECK(permanent.decide(end::stop, t0 + 999ms) == verdict::give_up);
  // A stop the policy accepts never counts against the intensity.
  child_supervision transient_once{phx::restart::transient(1, 1s)};
  CHECK(transient_once.decide(end::stop, t0) == verdict::end);
  CHECK(transient_once.decide(end::crash, t0) == verdict::restart);
}

TEST_CASE("a zero intensity gives up at the first crash") {
  phx::detail::child_supervision none{phx::restart::transient(0, 5s)};
  CHECK(none.decide(end::crash, {}) == phx::detail::child_supervision::verdict::give_up);
  CHECK(none.restarts() == 0);
}
