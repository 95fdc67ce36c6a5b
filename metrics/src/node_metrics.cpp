#include "phx/metrics/node_metrics.hpp"

namespace phx::metrics {

node_metrics& node() noexcept {
  static node_metrics instance;
  return instance;
}

} // namespace phx::metrics
