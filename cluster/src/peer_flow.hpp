#pragma once

#include <cstdint>

namespace phx::detail {

/// Bytes sent to one peer and not yet acknowledged: the bound that keeps a
/// slow or stopped peer from growing this node's memory.
///
/// The receiver counts the bytes it got from this node since it first saw
/// it and reports the total (heartbeats, and the handshake). The sender
/// counts what it sent; the difference is what sits in buffers between the
/// two. When a link comes up again after a loss, the sender takes the
/// receiver's total as its own (what was lost in the broken connection
/// will never be acknowledged).
class peer_flow {
public:
  peer_flow() = default;
  explicit peer_flow(std::uint64_t limit) : limit_(limit) {}

  /// The link (re)starts: the peer has received `peer_total` from us.
  void rebase(std::uint64_t peer_total) noexcept { sent_ = acked_ = peer_total; }

  /// The peer reports having received `peer_total` bytes from us in all.
  void acknowledge(std::uint64_t peer_total) noexcept {
    if (peer_total > acked_)
      acked_ = peer_total < sent_ ? peer_total : sent_;
  }

  /// Whether `bytes` more would pass the limit.
  bool would_overflow(std::uint64_t bytes) const noexcept {
    return in_flight() + bytes > limit_;
  }

  void sent(std::uint64_t bytes) noexcept { sent_ += bytes; }

  std::uint64_t in_flight() const noexcept { return sent_ - acked_; }

  std::uint64_t limit() const noexcept { return limit_; }

private:
  std::uint64_t limit_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t acked_ = 0;
};

} // namespace phx::detail
