#pragma once

#include <optional>
#include <string>

#include "phx/actors/router.hpp"
#include "phx/actors/socket.hpp"
#include "phx/protocol/json.hpp"

namespace phx {

/// Connect parameters: the query string as a JSON object of strings
/// (nested `a[b]=c` as objects, `a[]=x` as arrays), `vsn` included.
using params = json;

/// What a user writes once per mounted socket: Phoenix's Socket behaviour.
/// One instance serves every connection of its mount, so connect and id run
/// concurrently for different clients: keep them free of shared mutable state.
class socket_handler {
public:
  virtual ~socket_handler() = default;

  /// Authenticates a new connection and sets its assigns; false refuses it
  /// (HTTP 403 before the WebSocket upgrade). Runs on an I/O thread: do not block.
  virtual bool connect(const params& params, socket& s);

  /// The socket id ("users_socket:42"), or nullopt for anonymous sockets.
  /// Broadcasting "disconnect" on the id topic closes every connection with it.
  virtual std::optional<std::string> id(const socket& s) const;

  /// Declares the channel routes.
  virtual void routes(router& r) = 0;
};

} // namespace phx
