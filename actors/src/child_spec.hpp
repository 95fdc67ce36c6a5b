#pragma once

#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>

#include "phx/actors/router.hpp"
#include "phx/actors/socket.hpp"
#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/message.hpp"
#include "phx/protocol/serializer.hpp"
#include "phx/pubsub/pubsub.hpp"

namespace phx::detail {

/// Everything needed to start one channel, and to start it again: the
/// supervisor's child specification. Immutable once made, shared by the
/// supervisor and the channel server of a restartable route; a temporary
/// channel drops it once joined.
struct child_spec {
  std::shared_ptr<const router> routes; ///< keeps `route` alive
  const phx::route* route = nullptr;
  socket base;                          ///< connect's assigns + the route's, info, id
  frame_sink_ptr sink;
  const serializer* format = nullptr;
  phx::pubsub pubsub;
  message join;                         ///< the client's phx_join

  bool restartable() const noexcept {
    return route->policy.type != restart_policy::kind::temporary;
  }
};

using child_spec_ptr = std::shared_ptr<const child_spec>;

} // namespace phx::detail

// Local-only engine messages.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::detail::child_spec_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::restart_policy::end)
