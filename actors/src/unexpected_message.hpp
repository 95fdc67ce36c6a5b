#pragma once

#include <string>

#include <caf/message.hpp>
#include <caf/result.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/sec.hpp>

#include "phx/protocol/log.hpp"

namespace phx::detail {

/// The engine's one convention for a message no handler matches: drop it,
/// log the first one of each actor (`logged` remembers), and answer a
/// request with sec::unexpected_message so that its sender does not hang.
inline caf::result<caf::message> drop_unexpected(caf::scheduled_actor* self,
                                                 const caf::message& msg,
                                                 const std::string& who, bool& logged) {
  if (!logged) {
    logged = true;
    log(log_level::warning, who, ": no handler for ", caf::to_string(msg),
        "; dropped (later unmatched messages are dropped silently)");
  }
  if (self->current_message_id().is_request())
    return caf::make_error(caf::sec::unexpected_message);
  return caf::message{};
}

} // namespace phx::detail
