#pragma once

#include <cstdint>

namespace phx {

/// WebSocket close codes the server uses (RFC 6455 section 7.4.1).
enum class close_code : std::uint16_t {
  normal = 1000,           ///< normal stop; idle timeout
  going_away = 1001,       ///< "disconnect" on the socket id: clients reconnect
  protocol_error = 1002,
  unsupported_data = 1003, ///< a frame type the connection does not accept
  invalid_payload = 1007,  ///< a frame that does not decode
  policy_violation = 1008, ///< floods, slow readers past the outbound bound
  too_big = 1009,          ///< frame larger than max_frame_size
  internal_error = 1011,
  service_restart = 1012,  ///< server shutting down
};

/// The name of a close code, for log lines.
const char* to_string(close_code code) noexcept;

} // namespace phx
