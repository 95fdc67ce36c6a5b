#include "phx/actors/channel.hpp"

#include <caf/deep_to_string.hpp>

#include "phx/protocol/log.hpp"

namespace phx {

in_result channel::handle_in(const std::string& event, const json&, socket& s) {
  log(log_level::warning, "channel ", s.topic(), ": no handle_in for event \"", event,
      "\"; ignored");
  return in_result::noreply();
}

out_result channel::handle_out(const std::string& event, const json& payload, socket& s) {
  s.push(event, payload);
  return out_result::noreply();
}

out_result channel::handle_info(const caf::message& msg, socket& s) {
  log(log_level::warning, "channel ", s.topic(), ": unexpected message in handle_info: ",
      caf::to_string(msg));
  return out_result::noreply();
}

void channel::terminate(const exit_reason&, socket&) {
  // Nothing to clean up by default.
}

} // namespace phx
