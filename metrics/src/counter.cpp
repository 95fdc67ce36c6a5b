#include "phx/metrics/counter.hpp"

namespace phx::metrics {

std::int64_t counter::value() const noexcept {
  std::int64_t sum = 0;
  for (auto& s : slots_)
    sum += s.value.load(std::memory_order_relaxed);
  return sum;
}

std::size_t counter::stripe() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % stripes;
  return mine;
}

} // namespace phx::metrics
