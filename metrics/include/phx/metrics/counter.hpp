#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace phx::metrics {

/// A count many threads add to at once, and a scrape reads now and then:
/// each thread adds to its own cache line (one of `stripes`), so counting
/// a delivery on the hot path is one uncontended relaxed add; value() sums
/// the stripes. Also a gauge: add a negative amount to go down.
class counter {
public:
  static constexpr std::size_t stripes = 8;

  counter() = default;
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;

  void add(std::int64_t n = 1) noexcept {
    slots_[stripe()].value.fetch_add(n, std::memory_order_relaxed);
  }
  void sub(std::int64_t n = 1) noexcept { add(-n); }

  /// The sum; exact once the adding threads are quiet, close enough while
  /// they are not.
  std::int64_t value() const noexcept;

private:
  struct alignas(64) slot {
    std::atomic<std::int64_t> value{0};
  };

  // The calling thread's stripe, chosen once per thread, round robin.
  static std::size_t stripe() noexcept;

  std::array<slot, stripes> slots_;
};

} // namespace phx::metrics
