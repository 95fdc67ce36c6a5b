#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "phx/actors/socket_handler.hpp"
#include "phx/actors/supervision_counters.hpp"
#include "phx/actors/transport_set.hpp"
#include "phx/cluster/cluster_node.hpp"
#include "phx/presence/presence.hpp"
#include "phx/protocol/json.hpp"
#include "phx/pubsub/pubsub.hpp"
#include "phx/transports/endpoint_config.hpp"
#include "phx/transports/http_message.hpp"

namespace phx {

namespace detail {
struct server_state;
}

/// The server: an HTTP listener that mounts sockets (WebSocket transport at
/// `<path>/websocket`, long-poll at `<path>/longpoll`), static files and
/// HTTP routes, over one CAF actor system and one pubsub registry.
///
///     phx::endpoint ep{phx::endpoint_config::from_args(argc, argv)};
///     ep.socket<user_socket>("/socket");
///     ep.static_files("/", "www");
///     return ep.run();
class endpoint {
public:
  /// Throws std::invalid_argument when `cfg.check_origin` does not parse.
  explicit endpoint(endpoint_config cfg = {});
  ~endpoint();

  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  /// Mounts a socket handler at `path` (e.g. "/socket"): WebSocket at
  /// `<path>/websocket`, long-poll at `<path>/longpoll`, or only the
  /// `transports` named.
  endpoint& socket(std::string path, std::shared_ptr<socket_handler> handler,
                   transport_set transports = {});

  template <class Handler, class... Ts>
  endpoint& socket(std::string path, Ts&&... xs) {
    return socket(std::move(path), std::make_shared<Handler>(std::forward<Ts>(xs)...));
  }

  /// Serves the files below `directory` under the URL prefix `prefix`;
  /// a directory's index.html answers for it.
  endpoint& static_files(std::string prefix, std::string directory);

  /// Answers `method` requests to exactly `path` with `handler` (runs on an
  /// I/O thread: do not block).
  endpoint& route(std::string method, std::string path, http_handler handler);

  /// Mounts `POST <path>` taking `{"topic","event","payload"}` and
  /// broadcasting it: 202 on success, 400 with `{"error": ...}` on bad input
  /// (a payload nesting deeper than `max_json_depth` included). With
  /// `broadcast_api_key` configured, a request without
  /// `Authorization: Bearer <key>` gets 401 (from any address); without a
  /// key, non-loopback peers get 403 unless `loopback_only` is false.
  endpoint& broadcast_api(std::string path = "/api/broadcast", bool loopback_only = true);

  /// Broadcasts to every subscriber of `topic`, on every node of the
  /// cluster; callable from any thread.
  caf::error broadcast(std::string topic, std::string event, json payload);

  /// Broadcasts to this node's subscribers of `topic` only.
  caf::error local_broadcast(std::string topic, std::string event, json payload);

  /// The cluster's other nodes as this one sees them (empty for a single node).
  std::vector<peer_info> cluster_peers() const;

  /// This node's presence tracker (see phx::presence): give it to the
  /// channels that track who is online.
  const phx::presence& presence() const noexcept;

  /// The process-wide pubsub handle.
  const phx::pubsub& pubsub() const noexcept;

  caf::actor_system& system() noexcept;

  /// Restarts and give-ups of the channel supervisors of every connection.
  const supervision_counters& supervision() const noexcept;

  const endpoint_config& config() const noexcept;

  /// Binds, listens and starts the I/O threads (and, with a node port, joins
  /// the cluster first); returns the bound port. Throws std::runtime_error
  /// when the address cannot be bound or the TLS files cannot be used,
  /// std::invalid_argument when a cluster node has no secret.
  std::uint16_t start();

  /// Closes every connection (1012), stops the listener and the I/O threads.
  void stop();

  /// A graceful stop's first half (Phoenix 1.8's socket drainer): new
  /// connections get HTTP 503 and /readyz turns 503; the open ones are
  /// closed with 1012 ("service restart": clients reconnect, elsewhere
  /// behind a load balancer) in evenly spread batches over `over`
  /// (config().drain_time by default), a tenth of them in each tenth of
  /// it; long-poll sessions end, their next poll hears 410. Their
  /// channels terminate with a shutdown reason. Blocks until done or
  /// stop_drain(); call stop() after it.
  void drain();
  void drain(std::chrono::milliseconds over);

  /// Cuts a running drain() short (from any thread).
  void stop_drain();

  /// Reads --tls-cert and --tls-key again: connections accepted from now on
  /// get the new certificate, open ones keep theirs. On failure (a file
  /// missing, a key that does not match) the old one stays. Returns the
  /// problem, or "" when done (also "" with nothing to reload: no TLS).
  std::string reload_tls();

  /// start(), then serves until SIGINT or SIGTERM, then drains (a second
  /// signal cuts it short) and stops; SIGHUP reloads the TLS certificate.
  /// Returns the process exit code: 0, or non-zero when the listener could
  /// not start.
  int run();

private:
  void log_capacity(const endpoint_config& cfg);
  void add_ops_routes(detail::server_state& state);
  void start_metrics_listener();

  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace phx
