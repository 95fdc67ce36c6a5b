#pragma once

#include <memory>
#include <string>

#include "phx/protocol/json.hpp"

namespace phx {

/// A broadcast: topic, event and payload, no refs. It
/// travels as a shared immutable value so that fan-out never copies it.
struct broadcast {
  std::string topic;
  std::string event;
  json payload;
};

using broadcast_ptr = std::shared_ptr<const broadcast>;

} // namespace phx
