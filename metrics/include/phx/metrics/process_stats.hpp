#pragma once

#include <cstdint>

namespace phx::metrics {

/// What the operating system says about this process (Linux /proc and
/// getrlimit); -1 where it cannot tell.
struct process_stats {
  std::int64_t rss_bytes = -1;
  std::int64_t open_files = -1;
  std::int64_t max_files = -1; ///< the open-files soft limit
  double cpu_seconds = -1;     ///< user plus system

  static process_stats read();
};

/// Raises the open-files soft limit to the hard limit (what a server with
/// many connections needs); returns the limit in effect afterwards, -1 if
/// it cannot be read.
std::int64_t raise_open_files_limit();

} // namespace phx::metrics
