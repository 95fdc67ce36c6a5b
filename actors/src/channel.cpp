#include "phx/actors/channel.hpp"

#include "phx/protocol/log.hpp"

namespace phx {

in_result channel::handle_in(const std::string& event, const json&, channel_socket& s) {
  log_for(log_level::warning, s.info().connection_id, "channel ", s.topic(), ": no handle_in for event \"", event,
      "\"; ignored");
  return in_result::noreply();
}

out_result channel::handle_out(const std::string& event, const json& payload,
                               channel_socket& s) {
  s.push(event, payload);
  return out_result::noreply();
}

caf::message_handler channel::make_handlers(channel_socket&) {
  return {};
}

void channel::terminate(const exit_reason&, channel_socket&) {
  // Nothing to clean up by default.
}

} // namespace phx
