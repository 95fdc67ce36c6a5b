#pragma once

#include "phx/pubsub/pubsub.hpp"
#include "phx/transports/http_message.hpp"

namespace phx::detail {

/// The handler behind endpoint::broadcast_api: validates
/// `{"topic": string, "event": string, "payload": object}` and broadcasts it.
http_handler make_broadcast_api(phx::pubsub pubsub, bool loopback_only);

} // namespace phx::detail
