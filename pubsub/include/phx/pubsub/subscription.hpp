#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/serializer.hpp"

namespace phx {

/// Events a channel intercepts with handle_out, shared by all its subscriptions.
using intercept_list = std::shared_ptr<const std::vector<std::string>>;

/// One subscriber of one topic, as the registry keeps it.
///
/// A *fastlane* subscription (a joined channel) names the connection's sink
/// and serializer: broadcasts of events it does not intercept are encoded
/// once per serializer and written to the sink without visiting the channel.
/// A *plain* subscription (no sink) receives `(broadcast_atom, broadcast_ptr)`.
struct subscription {
  caf::actor subscriber;
  frame_sink_ptr sink;                  ///< null for plain subscribers
  const serializer* format = nullptr;  ///< the sink's serializer
  intercept_list intercepts;            ///< may be null: intercepts nothing

  bool is_fastlane() const noexcept { return sink && format; }

  bool intercepts_event(const std::string& event) const {
    return intercepts
           && std::find(intercepts->begin(), intercepts->end(), event) != intercepts->end();
  }
};

} // namespace phx
