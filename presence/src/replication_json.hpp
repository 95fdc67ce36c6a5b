#pragma once

#include <string>

#include "phx/protocol/json.hpp"
#include "tracker_state.hpp"

namespace phx::detail {

/// How trackers talk to each other: JSON payloads of broadcasts on the
/// reserved topic `replication_topic`, which the cluster carries to every
/// node like any broadcast. Events:
/// - "heartbeat": a replica_delta, `{"replica", "vsn", "from", "to", "ops"}`
///   with ops `["+", dot, topic, key, meta]` and `["-", clock, dot]`;
/// - "transfer_req": `{"replica": asker, "target": replica}`, asking
///   `target` for its snapshot;
/// - "transfer_ack": a replica_snapshot, `{"replica", "vsn", "clock",
///   "entries": [[dot, topic, key, meta], ...], "target": asker}`.
/// The parsers throw std::exception on a payload of another shape.
inline const std::string replication_topic = "phx:presence";

json to_json(const replica_delta& d);
replica_delta delta_from_json(const json& j);

json to_json(const replica_snapshot& s);
replica_snapshot snapshot_from_json(const json& j);

} // namespace phx::detail
