#pragma once

#include <memory>
#include <utility>

#include "phx/actors/connection.hpp"

namespace phx::test {

/// The setup of a V2 connection actor writing to `sink`, with `routes`:
/// what the transport would hand over after connect.
inline connection_setup v2_connection_setup(frame_sink_ptr sink,
                                            std::shared_ptr<const router> routes,
                                            pubsub ps) {
  connection_setup setup;
  setup.sink = std::move(sink);
  setup.format = &v2_json_serializer();
  setup.routes = std::move(routes);
  setup.pubsub = std::move(ps);
  return setup;
}

} // namespace phx::test
