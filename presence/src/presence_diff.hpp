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
/// Clients apply a diff's joins before its leaves, so a meta that joins and
/// leaves within one batch is sent as both and ends up gone. The other
/// order, a meta that left and joins again (a node down, then back), needs
/// two diffs: `rejoins` tells the caller to send the batch first. With
/// nothing cancelled, a client that got the topic's state at any moment of
/// a batch and then applies the batch ends where everyone else does.
class presence_diff {
public:
  void add(const presence_change& change);
  /// Whether `change` joins a meta that this batch has leaving.
  bool rejoins(const presence_change& change) const;
  bool empty() const noexcept { return topics_.empty(); }
  /// The payloads by topic; the batch is empty afterwards.
  std::vector<std::pair<std::string, json>> take();

private:
  struct key_changes {
    std::vector<json> joins;
    std::vector<json> leaves;
  };
  std::map<std::string, std::map<std::string, key_changes>> topics_;
};

} // namespace phx::detail
