#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>

#include "phx/actors/connect_info.hpp"
#include "phx/actors/socket.hpp"
#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/json.hpp"
#include "phx/protocol/serializer.hpp"
#include "server_state.hpp"

namespace phx::detail {

/// A socket its handler accepted: the socket after connect, and its id.
struct accepted_socket {
  socket base;
  std::optional<std::string> id;
};

/// Runs the mount's socket handler (connect, then id) for a client of any
/// transport; nullopt (logged) when it refuses or throws.
std::optional<accepted_socket> connect_socket(const socket_mount& mount, const json& params,
                                              std::shared_ptr<connect_info> info);

/// Spawns the connection actor of an accepted socket, writing to `sink`.
caf::actor start_connection(server_state& state, const socket_mount& mount, frame_sink_ptr sink,
                            const serializer& format, accepted_socket accepted,
                            transport over);

} // namespace phx::detail
