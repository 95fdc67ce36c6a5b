#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "phx/protocol/json.hpp"
#include "one_or_many.hpp"
#include "presence_meta.hpp"

namespace phx::detail {

/// One presence: a key on a topic with its meta (which holds its phx_ref).
struct presence_entry {
  std::string topic;
  std::string key;
  presence_meta meta;
};

/// A presence that appeared (joined) or went away (left) for this node.
struct presence_change {
  bool joined = false;
  std::string topic;
  std::string key;
  presence_meta meta;
};

/// One operation of a replica on its own presences, numbered by its clock:
/// an add (whose dot is its clock) or the removal of the add `dot`.
struct presence_op {
  std::uint64_t clock = 0;
  std::uint64_t dot = 0;
  std::optional<presence_entry> added; ///< set for an add
};

/// A replica's operations in (from, to]: what it sends with each heartbeat
/// (none: a heartbeat that only says it is alive and where its clock is).
struct replica_delta {
  std::string replica;
  std::uint64_t vsn = 0;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::vector<presence_op> ops;
};

/// All of a replica's presences at its clock: the answer to a replica that
/// missed some of its deltas.
struct replica_snapshot {
  std::string replica;
  std::uint64_t vsn = 0;
  std::uint64_t clock = 0;
  std::vector<std::pair<std::uint64_t, presence_entry>> entries; ///< (dot, entry)
};

/// A node's view of every replica's presences: the state of its tracker,
/// without the actor (pure; time is passed in).
///
/// Each replica (a node's tracker, named by its node, versioned by its start
/// time) adds and removes only its own presences, each add tagged with a dot
/// (replica, clock). The others hold a copy of each replica's presences and
/// the clock they have applied up to (the causal context), and apply its
/// operations in clock order: an observed-remove set where only the owner
/// writes, so adds and removes never race and merging is idempotent and
/// commutative across replicas. A delta that starts past the applied clock
/// (one went missing) is refused as a gap, and the caller fetches the
/// replica's snapshot instead.
///
/// Liveness: a replica not heard from for the down period is down (its
/// presences leave but are kept; heard again, they join again); after the
/// permanent-down period it is forgotten. A replica heard under a higher
/// version than before restarted: its old presences leave and go at once.
class tracker_state {
public:
  using clock = std::chrono::steady_clock;

  enum class merge_result {
    applied, ///< the delta's new operations were applied (maybe none)
    gap,     ///< operations before the delta are missing: fetch a snapshot
    ignored, ///< from an older version of the replica
  };

  tracker_state(std::string name, std::uint64_t vsn);

  const std::string& name() const noexcept { return name_; }
  std::uint64_t vsn() const noexcept { return vsn_; }

  // -- this replica's presences ------------------------------------------------

  /// Adds a presence of this replica; returns its dot.
  std::uint64_t add(presence_entry entry, std::vector<presence_change>& changes);
  /// Removes this replica's presence `dot` (nothing if there is none).
  void remove(std::uint64_t dot, std::vector<presence_change>& changes);
  /// This replica's presence `dot`, or null.
  const presence_entry* own(std::uint64_t dot) const;
  /// The operations since the last call, for the next heartbeat.
  replica_delta take_delta();
  /// All of this replica's presences.
  replica_snapshot snapshot() const;

  // -- the other replicas ------------------------------------------------------

  merge_result merge(const replica_delta& delta, clock::time_point now,
                     std::vector<presence_change>& changes);
  /// Applies a snapshot newer than what this node has of that replica.
  merge_result merge(const replica_snapshot& snapshot, clock::time_point now,
                     std::vector<presence_change>& changes);
  /// Marks replicas down and forgets them, by the time since they were heard.
  void check(clock::time_point now, clock::duration down_after, clock::duration permdown_after,
             std::vector<presence_change>& changes);

  /// Whether `replica` is known and up (this one always is).
  bool is_up(const std::string& replica) const;
  /// The clock up to which this node applied `replica`'s operations.
  std::uint64_t context(const std::string& replica) const;

  // -- reading -----------------------------------------------------------------

  /// `{key: {"metas": [...]}}` of the presences on `topic` that are up.
  json list(const std::string& topic) const;
  /// The same as JSON text (list(topic).dump()), built from the metas' texts
  /// without a tree: a big topic's state for its joiners.
  std::string list_text(const std::string& topic) const;
  /// `{"metas": [...]}` of `key` on `topic`, or null.
  json get_by_key(const std::string& topic, const std::string& key) const;
  /// How many keys `topic` lists.
  std::size_t keys(const std::string& topic) const;
  /// Presences listed (of replicas that are up), on every topic.
  std::size_t size() const noexcept { return listed_; }

private:
  struct replica {
    std::string name;
    std::uint64_t vsn = 0;
    bool up = true;
    clock::time_point heard{};
    std::uint64_t context = 0;
    std::unordered_map<std::uint64_t, presence_entry> entries; ///< by dot
  };
  struct entry_ref {
    const replica* owner = nullptr;
    std::uint64_t dot = 0;
    bool operator==(const entry_ref& o) const { return owner == o.owner && dot == o.dot; }
  };
  using key_index = std::map<std::string, one_or_many<entry_ref>>;

  replica* heard_from(const std::string& name, std::uint64_t vsn, clock::time_point now,
                      std::vector<presence_change>& changes);
  void apply_add(replica& r, std::uint64_t dot, presence_entry entry,
                 std::vector<presence_change>& changes);
  void apply_remove(replica& r, std::uint64_t dot, std::vector<presence_change>& changes);
  void show(const replica& r, std::uint64_t dot, const presence_entry& e,
            std::vector<presence_change>& changes);
  void hide(const replica& r, std::uint64_t dot, const presence_entry& e,
            std::vector<presence_change>& changes);
  void hide_all(replica& r, std::vector<presence_change>& changes);
  static const presence_meta& meta_of(const entry_ref& ref);

  std::string name_;
  std::uint64_t vsn_;
  std::map<std::string, replica> replicas_; ///< this one included; nodes are stable
  replica* self_;
  std::uint64_t delta_from_ = 0;
  std::vector<presence_op> ops_;
  std::unordered_map<std::string, key_index> topics_; ///< what is listed
  std::size_t listed_ = 0;
};

} // namespace phx::detail
