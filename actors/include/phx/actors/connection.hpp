#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "phx/actors/router.hpp"
#include "phx/actors/socket.hpp"
#include "phx/actors/supervision_counters.hpp"
#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/serializer.hpp"
#include "phx/pubsub/pubsub.hpp"

namespace phx {

/// Limits of one connection, with Phoenix's defaults.
struct connection_limits {
  /// Channels (joining, joined or leaving) per connection; past it a join
  /// gets `{"reason":"too many channels joined"}`.
  std::size_t max_channels = 100;
  /// Client frames held for one topic while its join (or leave) runs; past
  /// it the connection is closed (1008) rather than buffering without limit.
  std::size_t max_held_frames = 1000;
  /// How deep a value in a client frame may nest; deeper closes with 1007.
  std::size_t max_json_depth = default_max_json_depth;
};

/// Everything a connection actor starts with. `base` is the socket after
/// socket_handler::connect (assigns, connect info).
struct connection_setup {
  frame_sink_ptr sink;
  const serializer* format = nullptr;
  socket base;
  std::optional<std::string> id; ///< from socket_handler::id
  std::shared_ptr<const router> routes;
  phx::pubsub pubsub;
  connection_limits limits;
  /// What the client connected over: routes narrowed with `via` see it.
  phx::transport transport = phx::transport::websocket;
  /// Where the connection's supervisor counts restarts and give-ups (the
  /// endpoint's); may be null.
  std::shared_ptr<supervision_counters> counters;
};

/// Spawns the actor of one client connection: heartbeats, routing by topic,
/// the join/leave lifecycle, and (with the first join) the supervisor of its
/// channel actors.
caf::actor spawn_connection(caf::actor_system& sys, connection_setup setup);

/// Hands one client frame (text or binary) to a connection actor.
void deliver_frame(const caf::actor& connection, std::string data, bool binary);

/// Tells a connection actor that its transport is gone; it stops, and its
/// channels terminate with {shutdown, closed}.
void notify_closed(const caf::actor& connection);

} // namespace phx
