#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace phx {

/// What the transport knew of the client when it connected (a subset of
/// Phoenix's connect_info).
struct connect_info {
  /// "websocket" or "longpoll".
  std::string transport;
  /// The peer's address, e.g. "127.0.0.1".
  std::string peer_address;
  /// The token of the JS client's `authToken` option: over WebSocket from
  /// Sec-WebSocket-Protocol `base64url.bearer.phx.<token>` (decoded), over
  /// long-poll from the `X-Phoenix-AuthToken` header.
  std::optional<std::string> auth_token;
  /// The request's User-Agent header, if any.
  std::string user_agent;
  /// The connection's number, unique in the process: the "[conn 42]" of
  /// the log lines about it (0: none given).
  std::uint64_t connection_id = 0;
};

} // namespace phx
