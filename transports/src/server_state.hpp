#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>

#include "phx/actors/router.hpp"
#include "phx/actors/transport_set.hpp"
#include "phx/actors/socket_handler.hpp"
#include "phx/actors/supervision_counters.hpp"
#include "phx/pubsub/pubsub.hpp"
#include "phx/transports/endpoint_config.hpp"
#include "phx/transports/http_message.hpp"
#include "connection_slot.hpp"
#include "http/origin_policy.hpp"
#include "longpoll/longpoll_sessions.hpp"
#include "longpoll/session_token.hpp"
#include "tls/tls_context.hpp"

namespace phx::detail {

class websocket_session;

/// A socket handler mounted at a path, with its routes built once.
struct socket_mount {
  std::string path; ///< "/socket"
  std::shared_ptr<socket_handler> handler;
  std::shared_ptr<const router> routes;
  transport_set transports; ///< which of `<path>/websocket`, `<path>/longpoll` it serves
};

struct static_mount {
  std::string prefix;    ///< "/" or "/vendor/"
  std::string directory;
};

struct http_route {
  std::string method;
  std::string path;
  http_handler handler;
};

/// What every HTTP and WebSocket session of one endpoint shares. Mounts are
/// fixed before start(); only the live-session table changes afterwards.
struct server_state {
  server_state(const endpoint_config& cfg, caf::actor_system& sys, phx::pubsub ps,
               origin_policy origins, std::string_view secret_key_base)
    : config(cfg), system(sys), pubsub(std::move(ps)), origins(std::move(origins)),
      tokens(secret_key_base) {}

  const endpoint_config& config;
  caf::actor_system& system;
  phx::pubsub pubsub;
  origin_policy origins; ///< config.check_origin, parsed once
  /// Restarts and give-ups of every connection's channel supervisor.
  std::shared_ptr<supervision_counters> supervision = std::make_shared<supervision_counters>();
  std::vector<socket_mount> sockets;
  std::vector<static_mount> statics;
  std::vector<http_route> routes;
  /// The certificate when the port speaks TLS (--tls-cert); none: plain.
  std::shared_ptr<tls_context> tls;
  /// Signs and checks long-poll session tokens.
  session_token tokens;
  /// Live long-poll sessions, by id.
  longpoll_sessions longpolls;
  /// Long-poll answers handed to an HTTP connection and not yet written:
  /// shutdown lets them go out.
  std::atomic<int> longpoll_answers_unwritten{0};
  /// Connections now, WebSocket and long-poll (see connection_slot).
  std::atomic<std::size_t> connections{0};
  /// Draining (endpoint::drain): no new connections, not ready.
  std::atomic<bool> draining{false};

  /// A slot for a new connection of `kind`'s gauge, or none when draining
  /// or at --max-connections (counted as refused; the caller answers 503).
  connection_slot take_connection_slot(metrics::counter& gauge);

  // Live WebSocket sessions, so that shutdown can close each one.
  void add_session(websocket_session* key, std::weak_ptr<websocket_session> session);
  void remove_session(websocket_session* key);
  std::vector<std::shared_ptr<websocket_session>> live_sessions();

private:
  std::mutex sessions_mtx_;
  std::unordered_map<websocket_session*, std::weak_ptr<websocket_session>> sessions_;
};

} // namespace phx::detail
