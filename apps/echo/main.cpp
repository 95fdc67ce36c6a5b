// phx-echo: the conformance server. Listens on 127.0.0.1 (port from --port,
// default 4000) with a socket at /socket (WebSocket and long-poll) and
// POST /api/broadcast. With --node-port (and --peers), a node of a cluster.
#include "echo_channel.hpp"

// The demo's cluster secret, so that a test cluster needs no setup. Anyone
// who reads this file knows it: real deployments pass their own.
constexpr const char* demo_cluster_secret = "phx-echo demo cluster secret";
// The same for --secret-key-base (long-poll sessions, sign_token): public.
constexpr const char* demo_secret_key_base =
  "phx-echo demo secret_key_base: public, never use it in production";

int main(int argc, char** argv) {
  bool longpoll_only = false;
  auto config = phx::endpoint_config::from_args(
    argc, argv, {{"no-websocket", "serve /socket over long-poll only", nullptr, &longpoll_only}});
  if (config.cluster.secret.empty())
    config.cluster.secret = demo_cluster_secret;
  if (config.secret_key_base.empty())
    config.secret_key_base = demo_secret_key_base;
  auto secret = config.secret_key_base;
  phx::endpoint ep{std::move(config)};
  auto counter = ep.system().spawn(counter_actor, std::int64_t{0}); // counts from 1
  auto transports = longpoll_only ? phx::transport_set{phx::transport::longpoll}
                                  : phx::transport_set{};
  ep.socket("/socket", std::make_shared<echo_socket>(counter, ep.presence(), secret), transports);
  ep.broadcast_api("/api/broadcast");
  return ep.run();
}
