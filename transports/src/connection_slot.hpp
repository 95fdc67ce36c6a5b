#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "phx/metrics/counter.hpp"

namespace phx::detail {

/// A number for each connection, unique in the process: log lines about
/// it carry it (log_for).
std::uint64_t next_connection_id() noexcept;

/// One of the endpoint's connections (a WebSocket, or a long-poll session),
/// counted against `--max-connections` from before the connect runs until
/// the session ends: taken with try_take (none when the limit is reached),
/// given back when the slot is destroyed. It also keeps its transport's
/// connections gauge.
class connection_slot {
public:
  connection_slot() = default;
  connection_slot(connection_slot&& other) noexcept
    : count_(other.count_), gauge_(other.gauge_) {
    other.count_ = nullptr;
    other.gauge_ = nullptr;
  }
  connection_slot& operator=(connection_slot&& other) noexcept {
    if (this != &other) {
      release();
      count_ = other.count_;
      gauge_ = other.gauge_;
      other.count_ = nullptr;
      other.gauge_ = nullptr;
    }
    return *this;
  }
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot() { release(); }

  /// A slot, unless `count` is at `max` already (0: no limit).
  static connection_slot try_take(std::atomic<std::size_t>& count, std::size_t max,
                                  metrics::counter& gauge) {
    auto now = count.load(std::memory_order_relaxed);
    do {
      if (max > 0 && now >= max)
        return {};
    } while (!count.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
    gauge.add(1);
    connection_slot slot;
    slot.count_ = &count;
    slot.gauge_ = &gauge;
    return slot;
  }

  explicit operator bool() const noexcept { return count_ != nullptr; }

private:
  void release() noexcept {
    if (!count_)
      return;
    count_->fetch_sub(1, std::memory_order_relaxed);
    gauge_->sub(1);
    count_ = nullptr;
    gauge_ = nullptr;
  }

  std::atomic<std::size_t>* count_ = nullptr;
  metrics::counter* gauge_ = nullptr;
};

} // namespace phx::detail
