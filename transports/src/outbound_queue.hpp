#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "phx/metrics/counter.hpp"
#include "phx/protocol/frame.hpp"
#include "websocket/websocket_codec.hpp"

namespace phx::detail {

/// What a queued frame is, whatever the transport carries it: a data frame
/// (text or binary, as its payload says), an answer to a ping, or the end.
enum class outbound_kind : std::uint8_t { data, pong, close };

/// One frame on its way to the client: the payload, its kind, and how many
/// of its wire bytes are written already. Sizes are those of a WebSocket
/// frame (header plus payload); a long-poll session, which sends frames as
/// JSON strings of about that size, counts them the same way.
///
/// 48 bytes (a queue slot; a burst leaves a connection's queue with room
/// for its longest backlog): hence a 32-bit `written`, which the queue's
/// byte bound (at most max_frame_bytes) keeps from overflowing.
struct outbound_frame {
  frame payload;
  outbound_kind kind = outbound_kind::data;
  std::uint32_t written = 0;

  std::size_t wire_size() const noexcept { return ws::wire_size(payload.size()); }
  bool done() const noexcept { return written == wire_size(); }
};

/// What one connection has queued for its client, and the queue's rules:
/// - the byte bound counts each frame's wire size plus a bookkeeping floor
///   (frame_floor), frames waiting and frames being written alike, so that a
///   flood of empty frames is bounded like a flood of big ones;
/// - past the bound the client is too slow: the frames not yet started are
///   dropped and a close frame (1008) takes their place;
/// - once a close frame is admitted nothing else is;
/// - a gathered write takes the head of the pending frames (consume, for a
///   write that may stop anywhere) or all of them (take_batch, for an
///   asynchronous write that completes whole).
///
/// Pure bookkeeping: the session owns the socket (or the waiting poll) and
/// the lock. bytes()
/// always equals the cost of the pending frames plus the batch's.
class outbound_queue {
public:
  /// What a queued frame costs beyond its wire bytes: its queue slot and the
  /// shared buffer's header. Counted so that empty frames are not free.
  static constexpr std::size_t frame_floor = 64;

  enum class admission {
    accepted, ///< write it now or push it
    refused,  ///< the queue is closed: drop it
    overflow, ///< past the bound: it is now the 1008 close frame; push it
  };

  /// Which kinds of frame a write completed.
  struct completed {
    bool pong = false;
    bool close = false;
  };

  /// The largest bound: no admitted frame's wire size overflows
  /// outbound_frame::written.
  static constexpr std::size_t max_frame_bytes = UINT32_MAX;

  /// `gauge`, if given, follows bytes() (the sum over every queue: the
  /// endpoint's phx_outbound_queued_bytes). A `max_bytes` past
  /// max_frame_bytes counts as max_frame_bytes.
  explicit outbound_queue(std::size_t max_bytes, metrics::counter* gauge = nullptr)
    : max_bytes_(std::min(max_bytes, max_frame_bytes)), gauge_(gauge) {}
  ~outbound_queue() { clear(); }
  outbound_queue(const outbound_queue&) = delete;
  outbound_queue& operator=(const outbound_queue&) = delete;

  static std::size_t cost(const outbound_frame& f) noexcept { return f.wire_size() + frame_floor; }

  /// Applies the close rules and the bound to `f` (is_close: the caller's
  /// own close frame).
  admission admit(outbound_frame& f, bool is_close);
  /// Appends an admitted frame (possibly written in part already).
  void push(outbound_frame f);

  /// `n` bytes of one gathered write of the first `frames` pending frames
  /// went out: completed frames leave, a frame cut short remembers where.
  completed consume(std::size_t n, std::size_t frames);

  /// Moves every pending frame into the batch for an asynchronous write;
  /// false when nothing is pending.
  bool take_batch();
  /// The batch was written whole.
  completed batch_written();

  /// The connection is over: everything goes, and nothing more is admitted.
  void clear() noexcept;

  const std::vector<outbound_frame>& pending() const noexcept { return pending_; }
  const std::vector<outbound_frame>& batch() const noexcept { return batch_; }
  bool has_pending() const noexcept { return !pending_.empty(); }
  bool closed() const noexcept { return closed_; }
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t max_bytes() const noexcept { return max_bytes_; }

private:
  void add_bytes(std::int64_t delta) noexcept;

  std::size_t max_bytes_;
  metrics::counter* gauge_;
  std::vector<outbound_frame> pending_;
  std::vector<outbound_frame> batch_;
  std::size_t bytes_ = 0;
  bool closed_ = false;
};

} // namespace phx::detail
