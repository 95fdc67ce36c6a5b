// phx-echo: the conformance server. Listens on 127.0.0.1 (port from --port,
// default 4000) with a socket at /socket (WebSocket and long-poll) and
// POST /api/broadcast.
#include "echo_channel.hpp"

int main(int argc, char** argv) {
  bool longpoll_only = false;
  phx::endpoint ep{phx::endpoint_config::from_args(
    argc, argv, {{"no-websocket", "serve /socket over long-poll only", nullptr, &longpoll_only}})};
  auto counter = ep.system().spawn(counter_actor, std::int64_t{0}); // counts from 1
  auto transports = longpoll_only ? phx::transport_set{phx::transport::longpoll}
                                  : phx::transport_set{};
  ep.socket("/socket", std::make_shared<echo_socket>(counter), transports);
  ep.broadcast_api("/api/broadcast");
  return ep.run();
}
