#pragma once

#include "phx/metrics/counter.hpp"

namespace phx::metrics {

/// What this process counts, in one place: every library adds to its part
/// (one relaxed add on the adding thread's own cache line), and the
/// endpoint's `/metrics` shows it. Process-wide, as a Prometheus scrape of
/// the process is. Gauges go up and down; the `_total` counters only up.
struct node_metrics {
  // -- connections (transports) ---------------------------------------------
  counter websocket_connections; ///< gauge
  counter longpoll_connections;  ///< gauge: long-poll sessions
  counter websocket_connects;    ///< accepted upgrades
  counter longpoll_connects;     ///< sessions opened
  // Refused connects, by reason.
  counter refused_connect;   ///< the socket handler's connect refused
  counter refused_origin;    ///< check_origin
  counter refused_vsn;       ///< an unknown protocol version
  counter refused_handshake; ///< a malformed upgrade or long-poll request
  counter refused_limit;     ///< --max-connections, or long-poll sessions
  counter refused_draining;  ///< the endpoint is draining
  counter refused_tls;       ///< a TLS handshake failed
  counter refused_plain_http; ///< plain HTTP sent to the TLS port (400)
  counter accept_errors;     ///< accept() failed (out of file descriptors)
  // Bytes and frames on the wire (WebSocket frames; long-poll messages).
  counter bytes_written;
  counter frames_written;
  counter bytes_read;
  counter frames_read;
  counter slow_reader_closes; ///< the outbound queue's bound (1008)
  counter held_frame_closes;  ///< too many frames held for a joining topic (1008)
  counter outbound_queued_bytes; ///< gauge: bytes queued for clients, every connection
  counter drain_closes;       ///< connections closed by a drain (1012)

  // -- channels (actors) ----------------------------------------------------
  counter channels;          ///< gauge: joined channels
  counter joins_ok;
  counter joins_error;       ///< the join callback refused
  counter joins_crash;       ///< the join callback threw
  counter channel_crashes;   ///< a joined channel's handler threw
  counter held_frames_dropped; ///< frames held for a join that failed, dropped with it

  // -- pubsub ---------------------------------------------------------------
  counter broadcasts;           ///< published on this node (local subscribers)
  counter deliveries_fastlane;  ///< frames handed to connections directly
  counter deliveries_channel;   ///< messages to channels (intercepts, non-fastlane)
};

/// This process's metrics.
node_metrics& node() noexcept;

} // namespace phx::metrics
