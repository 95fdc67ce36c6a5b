#pragma once

#include <cstddef>
#include <string>

#include "phx/pubsub/pubsub.hpp"
#include "phx/transports/http_message.hpp"

namespace phx::detail {

/// The handler behind endpoint::broadcast_api: checks who asks (a bearer
/// `api_key` when one is set, else a loopback peer when `loopback_only`),
/// validates `{"topic": string, "event": string, "payload": object}` with
/// the payload nesting at most `max_json_depth` levels, and broadcasts it.
http_handler make_broadcast_api(phx::pubsub pubsub, bool loopback_only, std::string api_key,
                                std::size_t max_json_depth);

} // namespace phx::detail
