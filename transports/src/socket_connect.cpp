#include "socket_connect.hpp"

#include "phx/actors/connection.hpp"
#include "phx/protocol/log.hpp"

namespace phx::detail {

std::optional<accepted_socket> connect_socket(const socket_mount& mount, const json& params,
                                              std::shared_ptr<connect_info> info) {
  auto peer = info->peer_address;
  accepted_socket accepted{socket{std::move(info)}, std::nullopt};
  try {
    if (mount.handler->connect(params, accepted.base)) {
      accepted.id = mount.handler->id(accepted.base);
      return accepted;
    }
  } catch (const std::exception& e) {
    log(log_level::error, "socket handler at ", mount.path, " threw in connect: ", e.what());
  }
  log(log_level::info, "connect refused on ", mount.path, " for ", peer);
  return std::nullopt;
}

caf::actor start_connection(server_state& state, const socket_mount& mount, frame_sink_ptr sink,
                            const serializer& format, accepted_socket accepted,
                            transport over) {
  connection_setup setup;
  setup.sink = std::move(sink);
  setup.format = &format;
  setup.base = std::move(accepted.base);
  setup.id = std::move(accepted.id);
  setup.routes = mount.routes;
  setup.pubsub = state.pubsub;
  setup.limits.max_channels = state.config.max_channels;
  setup.limits.max_held_frames = state.config.max_held_frames;
  setup.limits.max_json_depth = state.config.max_json_depth;
  setup.counters = state.supervision;
  setup.transport = over;
  return spawn_connection(state.system, std::move(setup));
}

} // namespace phx::detail
