#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "phx/actors/supervision_counters.hpp"
#include "phx/cluster/peer_info.hpp"
#include "phx/transports/http_message.hpp"

namespace phx::detail {

struct server_state;

/// What the operations routes read: the endpoint's state (draining,
/// connections), whether it listens, its cluster peers, its supervisors'
/// counters, and the readiness policy for peers.
struct ops_view {
  std::shared_ptr<server_state> state;
  std::function<bool()> listening;
  std::function<std::vector<peer_info>()> peers;
  std::shared_ptr<supervision_counters> supervision;
};

/// `GET /healthz`: 200 {"status":"ok"} while the process serves HTTP.
http_handler make_healthz();

/// `GET /readyz`: 200 {"status":"ready", ...} when listening, not draining,
/// and the cluster's configured peers are up as config.ready_peers asks;
/// 503 {"status":"not ready","reasons":[...]} otherwise.
http_handler make_readyz(ops_view view);

/// `GET /metrics`: the Prometheus text of phx::metrics::node() plus the
/// supervisors' counters, the cluster's peers and the process's RSS and
/// open files. Answers only loopback clients unless `from_anywhere`.
http_handler make_metrics(ops_view view, bool from_anywhere);

} // namespace phx::detail
