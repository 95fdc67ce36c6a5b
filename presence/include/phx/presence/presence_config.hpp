#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "phx/protocol/json.hpp"

namespace phx {

/// Adds fields next to `metas` (Phoenix's `fetch/2`): called with a topic
/// and a JSON object `{key: {"metas": [...]}}` for every list and every
/// diff (both halves), before it leaves the tracker. It runs on the
/// tracker's actor: keep it quick, and do not block.
using presence_fetch = std::function<void(const std::string& topic, json& presences)>;

/// How a node's presence tracker behaves. The defaults are Phoenix.Tracker's.
struct presence_config {
  /// This node's name among the replicas (in a cluster: its node name). A
  /// process that starts again under the same name is a new replica of it:
  /// the others drop what the old one had tracked.
  std::string replica_name = "local";
  /// How often the tracker sends its changes (and, with none, a heartbeat)
  /// to the other nodes.
  std::chrono::milliseconds broadcast_every{1500};
  /// A node not heard from for this long is down: its presences leave on
  /// this node (and come back as joins if it returns).
  std::chrono::milliseconds down_after{30000};
  /// A node down for this long is forgotten with its presences.
  std::chrono::milliseconds permdown_after{20 * 60 * 1000};
  /// The tracker sends the topics' diffs at most this often: the changes in
  /// between (a busy topic's joins) leave as one diff per topic, so a join
  /// costs the topic's subscribers a share of a frame rather than a frame
  /// each. A change after a quiet spell leaves at once.
  std::chrono::milliseconds diff_every{20};
  /// Optional, see presence_fetch.
  presence_fetch fetch;
};

} // namespace phx
