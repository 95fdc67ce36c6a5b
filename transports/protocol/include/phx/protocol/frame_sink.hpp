#pragma once

#include <memory>
#include <string>

#include "phx/protocol/close_code.hpp"
#include "phx/protocol/frame.hpp"

namespace phx {

/// The outgoing side of one client connection, implemented by each transport.
/// Channel actors and the registry write to it directly (Phoenix's fastlane):
/// both member functions are safe to call from any thread.
class frame_sink {
public:
  virtual ~frame_sink() = default;

  /// Queues `f` for the wire. Frames from one caller leave in call order.
  /// Past the transport's outbound bound the connection is closed (and logged)
  /// rather than buffered without limit.
  virtual void send(frame f) = 0;

  /// Closes the connection after the frames already queued, with `code` and
  /// `reason` in the close frame.
  virtual void close(close_code code, std::string reason) = 0;

  /// Called by the connection actor after it handled one frame the transport
  /// gave it. Transports stop reading while too many frames are in flight, so
  /// a client flooding a busy connection cannot grow its mailbox without bound.
  virtual void frame_consumed() {}
};

using frame_sink_ptr = std::shared_ptr<frame_sink>;

} // namespace phx
