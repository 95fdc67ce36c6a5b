#pragma once
// CLOCK_MONOTONIC in nanoseconds: system-wide, so timestamps taken in the parent,
// the workers and (in payloads) the publisher are directly comparable.
#include <cstdint>
#include <ctime>

namespace bench {

inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

constexpr int64_t ms_to_ns(int64_t ms) { return ms * 1000000; }

} // namespace bench
