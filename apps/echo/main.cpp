// phx-echo: the conformance server. Listens on 127.0.0.1 (port from --port,
// default 4000) with a socket at /socket and POST /api/broadcast.
#include "echo_channel.hpp"

int main(int argc, char** argv) {
  phx::endpoint ep{phx::endpoint_config::from_args(argc, argv)};
  auto counter = ep.system().spawn(counter_actor, std::int64_t{0}); // counts from 1
  ep.socket<echo_socket>("/socket", counter);
  ep.broadcast_api("/api/broadcast");
  return ep.run();
}
