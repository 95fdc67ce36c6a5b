#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

namespace phx::detail {

/// Why an upgrade request cannot be accepted, for the answer that says so.
struct handshake_problem {
  boost::beast::http::status status; ///< 400, or 426 for another protocol version
  std::string_view why;
};

/// Checks what websocket::is_upgrade leaves to the server (RFC 6455 4.2.1,
/// the same checks Beast's accept makes): a Host, a Sec-WebSocket-Key, and
/// Sec-WebSocket-Version 13. nullopt when the request can be accepted.
std::optional<handshake_problem>
check_handshake(const boost::beast::http::request_header<>& req);

/// The whole 101 response accepting a checked request's `key`, naming
/// `subprotocol` when not empty. Written by the session itself: one send on
/// an idle socket, instead of a Beast stream built for one response.
std::string switching_protocols(std::string_view key, std::string_view subprotocol);

} // namespace phx::detail
