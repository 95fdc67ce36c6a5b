#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "phx/protocol/json.hpp"
#include "tracker_state.hpp"

namespace phx::detail {

/// The changes of one batch, per topic, as Phoenix's presence_diff payloads
/// (`{"joins": {key: {"metas": [...]}}, "leaves": {...}}`, both always there).
///
/// A meta that joins and leaves within the batch (or leaves and joins again,
/// as when a node goes down and comes back) cancels out by its phx_ref: the
/// clients, which apply a diff's joins before its leaves, end up exactly
/// where the changes one by one would have left them.
class presence_diff {
public:
  void add(const presence_change& change);
  bool empty() const noexcept { return topics_.empty(); }
  /// The payloads by topic (topics whose changes all cancelled out are left
  /// out); the batch is empty afterwards.
  std::vector<std::pair<std::string, json>> take();

private:
  struct key_changes {
    std::vector<json> joins;
    std::vector<json> leaves;
  };
  std::map<std::string, std::map<std::string, key_changes>> topics_;
};

} // namespace phx::detail
