#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "phx/protocol/close_code.hpp"
#include "phx/protocol/frame.hpp"

namespace phx {

/// The outgoing side of one client connection, implemented by each transport.
/// Channel actors and the registry write to it directly (Phoenix's fastlane):
/// every member function is safe to call from any thread.
class frame_sink {
public:
  virtual ~frame_sink() = default;

  /// Queues `f` for the wire. Frames from one caller leave in call order.
  /// Past the transport's outbound bound the connection is closed (and logged)
  /// rather than buffered without limit.
  virtual void send(frame f) = 0;

  /// Queues `f` like send() but leaves the writing for later, so that one
  /// caller can fill many sinks (a broadcast) before any system call, and
  /// frames that pile up meanwhile leave together. Returns true when this
  /// sink now waits for flush(): the caller must then call it once. The
  /// default sends at once and returns false.
  virtual bool defer(frame f) {
    send(std::move(f));
    return false;
  }

  /// Writes what defer() queued (see there). Any thread may call it.
  virtual void flush() {}

  /// Closes the connection after the frames already queued, with `code` and
  /// `reason` in the close frame.
  virtual void close(close_code code, std::string reason) = 0;

  /// Called by the connection actor after it handled one frame the transport
  /// gave it. Transports stop reading while too many frames are in flight, so
  /// a client flooding a busy connection cannot grow its mailbox without bound.
  virtual void frame_consumed() {}
};

using frame_sink_ptr = std::shared_ptr<frame_sink>;

/// Runs flush() on sinks a broadcast left waiting (frame_sink::defer). A
/// transport passes one that spreads the work over its I/O threads; without
/// one, the caller flushes them itself.
using flush_function = std::function<void(std::vector<frame_sink_ptr>)>;

} // namespace phx
