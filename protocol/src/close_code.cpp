#include "phx/protocol/close_code.hpp"

namespace phx {

const char* to_string(close_code code) noexcept {
  switch (code) {
    case close_code::normal: return "normal";
    case close_code::going_away: return "going away";
    case close_code::protocol_error: return "protocol error";
    case close_code::unsupported_data: return "unsupported data";
    case close_code::invalid_payload: return "invalid payload";
    case close_code::policy_violation: return "policy violation";
    case close_code::too_big: return "message too big";
    case close_code::internal_error: return "internal error";
    case close_code::service_restart: return "service restart";
  }
  return "unknown";
}

} // namespace phx
