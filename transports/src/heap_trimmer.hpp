#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace phx::detail {

/// Gives the heap's free pages back to the system at a fixed interval
/// (glibc's malloc_trim), on a thread of its own so that no I/O thread or
/// actor waits for it. With another malloc it does nothing.
///
/// Why: glibc returns freed memory only from the top of each heap. A burst
/// (thousands of joins to one presence topic: per-batch states, diffs,
/// queue growth) frees memory between long-lived objects, and the process
/// keeps it resident for good. Measured with 10,000 presences joined at
/// 500/s, one trim afterwards took the server from 102 MB to 76 MB.
class heap_trimmer {
public:
  /// Trims every `every`; zero: never (no thread).
  explicit heap_trimmer(std::chrono::milliseconds every);
  /// Stops the thread (at once, not after the interval).
  ~heap_trimmer();

  heap_trimmer(const heap_trimmer&) = delete;
  heap_trimmer& operator=(const heap_trimmer&) = delete;

private:
  void run(std::chrono::milliseconds every);

  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace phx::detail
