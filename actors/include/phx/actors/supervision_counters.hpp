#pragma once

#include <atomic>
#include <cstdint>

namespace phx {

/// What the channel supervisors of one endpoint did, counted across all its
/// connections (read them from any thread; metrics export them).
struct supervision_counters {
  /// Channels restarted after a crash (or, permanent, a stop).
  std::atomic<std::uint64_t> restarts{0};
  /// Channels given up: too many restarts within the window, or a restart
  /// whose join failed. Their clients got phx_error.
  std::atomic<std::uint64_t> give_ups{0};
};

} // namespace phx
