#pragma once

#include <chrono>
#include <cstddef>

namespace phx {

/// How a channel's supervisor treats the end of one of its channels, as an
/// OTP supervisor treats a child:
/// - temporary (the default, exactly Phoenix): never restarted; a crash
///   tells the client `phx_error`, and the stock client rejoins by itself;
/// - transient: restarted after a crash, not after a normal stop;
/// - permanent: restarted after a crash and after any stop the client did
///   not ask for (a leave or a closed connection is never restarted).
/// At most `max_restarts` restarts within `window` (the intensity); one more
/// crash within it gives the channel up, as if it were temporary.
///
/// Routes take a policy (router::channel); the connection's supervisor
/// applies it. A restart re-runs join with the original topic, params and
/// join_ref and tells the client nothing.
struct restart_policy {
  enum class kind { temporary, transient, permanent };

  /// How a channel ended, as far as the policy cares.
  enum class end { crash, stop, client_asked };

  kind type = kind::temporary;
  std::size_t max_restarts = 3;
  std::chrono::milliseconds window{5000};

  /// True when a channel that ended this way is to be restarted (intensity
  /// permitting).
  constexpr bool restarts_after(end how) const noexcept {
    switch (type) {
      case kind::temporary:
        return false;
      case kind::transient:
        return how == end::crash;
      case kind::permanent:
        return how != end::client_asked;
    }
    return false;
  }
};

namespace restart {

/// Phoenix's behaviour: never restarted.
constexpr restart_policy temporary() noexcept {
  return restart_policy{};
}

/// Restarted after a crash, at most `max_restarts` times within `window`.
constexpr restart_policy transient(std::size_t max_restarts = 3,
                                   std::chrono::milliseconds window = std::chrono::seconds(5)) noexcept {
  return restart_policy{restart_policy::kind::transient, max_restarts, window};
}

/// Restarted after a crash or a stop the client did not ask for, at most
/// `max_restarts` times within `window`.
constexpr restart_policy permanent(std::size_t max_restarts = 3,
                                   std::chrono::milliseconds window = std::chrono::seconds(5)) noexcept {
  return restart_policy{restart_policy::kind::permanent, max_restarts, window};
}

} // namespace restart

} // namespace phx
