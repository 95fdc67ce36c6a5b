#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <unordered_map>

#include <caf/event_based_actor.hpp>

#include "phx/presence/presence.hpp"
#include "phx/protocol/log.hpp"
#include "presence_diff.hpp"
#include "replication_json.hpp"
#include "tracker_state.hpp"

namespace phx {
namespace detail {
namespace {

using clock = tracker_state::clock;

// How long a restarted channel has to track its keys again before the
// presences of its crashed instance leave.
constexpr auto restart_grace = std::chrono::seconds{1};

// Topics with this many keys share one state among a batch's joiners.
constexpr std::size_t shared_state_min = 1000;

// A replica version: the start time, so that a restarted node's is higher.
std::uint64_t start_vsn() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

/// Unique opaque phx_refs: 16 URL-safe base64 characters of a random
/// per-tracker prefix and a counter (unique across nodes and restarts).
class ref_maker {
public:
  ref_maker() {
    std::random_device rd;
    prefix_ = (std::uint64_t{rd()} << 32 | rd()) & 0xFFFFFFFFFFFFull;
  }

  std::string next() {
    static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::uint64_t hi = prefix_, lo = ++count_ & 0xFFFFFFFFFFFFull;
    std::string out(16, ' ');
    for (int i = 0; i < 8; ++i) {
      out[i] = alphabet[(hi >> (42 - 6 * i)) & 63];
      out[8 + i] = alphabet[(lo >> (42 - 6 * i)) & 63];
    }
    return out;
  }

private:
  std::uint64_t prefix_ = 0;
  std::uint64_t count_ = 0;
};

/// A presence a channel of this node tracks: its dot in the tracker's
/// state, which holds its topic and key.
struct tracked {
  std::uint64_t dot;
  std::uint32_t generation;
};

/// The channels (and other actors) that track presences on this node.
struct owner_record {
  std::uint32_t generation = 0;
  std::vector<tracked> presences;
  std::vector<std::uint64_t> unannounced; ///< dots whose join waits for announce_atom
};

json without_refs(json meta) {
  meta.erase("phx_ref");
  meta.erase("phx_ref_prev");
  return meta;
}

class tracker : public caf::event_based_actor {
public:
  tracker(caf::actor_config& cfg, phx::pubsub bus, presence_config config)
    : caf::event_based_actor(cfg),
      bus_(std::move(bus)),
      config_(std::move(config)),
      state_(config_.replica_name, start_vsn()) {
    set_down_handler([this](caf::down_msg& msg) { untrack_all(msg.source); });
  }

  caf::behavior make_behavior() override {
    bus_.subscribe(replication_topic, subscription{caf::actor_cast<caf::actor>(this), nullptr,
                                                   nullptr, nullptr});
    delayed_send(this, config_.broadcast_every, caf::tick_atom_v);
    return {
      [this](track_atom, caf::actor& owner, std::string& topic, std::string& key, json& meta,
             std::uint32_t generation) -> caf::result<std::string> {
        return track(owner, std::move(topic), std::move(key), std::move(meta), generation, false);
      },
      [this](track_atom, caf::actor& owner, std::string& topic, std::string& key, json& meta,
             std::uint32_t generation, list_atom) -> caf::result<presence_state_ptr> {
        auto listed = topic;
        auto ref = track(owner, std::move(topic), std::move(key), std::move(meta), generation, true);
        if (!ref)
          return std::move(ref.error());
        return state_for(listed);
      },
      [this](announce_atom, const caf::actor& owner) { announce(owner.address()); },
      [this](update_atom, const caf::actor& owner, const std::string& topic,
             const std::string& key, json& meta) -> caf::result<std::string> {
        return update(owner.address(), topic, key, std::move(meta));
      },
      [this](untrack_atom, const caf::actor& owner, const std::string& topic,
             const std::string& key) { untrack(owner.address(), topic, key); },
      [this](untrack_atom, const caf::actor& owner) { untrack_all(owner.address()); },
      [this](list_atom, const std::string& topic) { return list(topic); },
      [this](get_by_key_atom, const std::string& topic, const std::string& key) {
        return get_by_key(topic, key);
      },
      [this](broadcast_atom, const broadcast_ptr& msg) { on_replication(*msg); },
      [this](caf::tick_atom) { tick(); },
      [this](flush_atom) { flush(); },
      [this](sweep_atom, const caf::actor_addr& owner, std::uint32_t generation) {
        sweep(owner, generation);
      },
    };
  }

private:
  // ---- this node's presences ------------------------------------------------

  // With `hold`, the others hear of the new presence only on announce().
  caf::expected<std::string> track(const caf::actor& owner, std::string topic, std::string key,
                                   json meta, std::uint32_t generation, bool hold) {
    if (!owner || !meta.is_object())
      return caf::make_error(caf::sec::invalid_argument,
                             "track needs an owner and a JSON object as meta");
    auto [rec_it, fresh] = owners_.try_emplace(owner.address());
    auto& rec = rec_it->second;
    if (fresh)
      monitor(owner);
    if (generation > rec.generation) {
      // A restarted channel: what its crashed instance tracked and this one
      // does not track again soon leaves.
      rec.generation = generation;
      delayed_send(this, restart_grace, sweep_atom_v, owner.address(), generation);
    }
    if (auto* t = find(rec, topic, key)) {
      if (generation <= t->generation)
        return caf::make_error(caf::sec::invalid_argument,
                               "already tracked: " + key + " on " + topic);
      // Tracked again by the restarted channel: the client sees nothing,
      // or an update if the meta changed.
      t->generation = generation;
      auto old = state_.own(t->dot)->meta.value();
      if (without_refs(old) == without_refs(meta))
        return old.at("phx_ref").get<std::string>();
      return replace(rec, *t, std::move(meta));
    }
    auto ref = refs_.next();
    meta["phx_ref"] = ref;
    auto dot =
      state_.add(presence_entry{std::move(topic), std::move(key), std::move(meta)}, changes_);
    if (hold) {
      changes_.pop_back(); // its join, told on announce()
      rec.unannounced.push_back(dot);
    }
    rec.presences.push_back(tracked{dot, generation});
    changed();
    return ref;
  }

  // The owner pushed its client the state: the others hear of it now.
  void announce(const caf::actor_addr& owner) {
    auto i = owners_.find(owner);
    if (i == owners_.end())
      return;
    for (auto dot : i->second.unannounced)
      if (auto* e = state_.own(dot))
        changes_.push_back(presence_change{true, e->topic, e->key, e->meta});
    i->second.unannounced.clear();
    changed();
  }

  // Removes one of this node's presences. One never announced leaves all
  // the same: the others ignore a leave of a meta they never saw, and its
  // own client may have it from its state.
  void remove(owner_record& rec, std::uint64_t dot) {
    auto& held = rec.unannounced;
    held.erase(std::remove(held.begin(), held.end(), dot), held.end());
    state_.remove(dot, changes_);
  }

  caf::result<std::string> update(const caf::actor_addr& owner, const std::string& topic,
                                  const std::string& key, json meta) {
    auto i = owners_.find(owner);
    auto* t = i == owners_.end() ? nullptr : find(i->second, topic, key);
    if (!t)
      return caf::make_error(caf::sec::invalid_argument, "not tracked: " + key + " on " + topic);
    if (!meta.is_object())
      return caf::make_error(caf::sec::invalid_argument, "a presence meta must be a JSON object");
    return replace(i->second, *t, std::move(meta));
  }

  // A new meta for a tracked presence: a new phx_ref, the old one as
  // phx_ref_prev. One batch holds the leave and the join: one diff.
  std::string replace(owner_record& rec, tracked& t, json meta) {
    auto ref = refs_.next();
    const auto* old = state_.own(t.dot);
    auto topic = old->topic;
    auto key = old->key;
    meta["phx_ref_prev"] = old->meta.ref();
    meta["phx_ref"] = ref;
    remove(rec, t.dot);
    t.dot = state_.add(presence_entry{std::move(topic), std::move(key), std::move(meta)}, changes_);
    changed();
    return ref;
  }

  void untrack(const caf::actor_addr& owner, const std::string& topic, const std::string& key) {
    auto i = owners_.find(owner);
    if (i == owners_.end())
      return;
    auto& list = i->second.presences;
    auto j = std::find_if(list.begin(), list.end(),
                          [&](const tracked& t) { return is(t, topic, key); });
    if (j == list.end())
      return;
    remove(i->second, j->dot);
    list.erase(j);
    if (list.empty())
      forget(i);
    changed();
  }

  void untrack_all(const caf::actor_addr& owner) {
    auto i = owners_.find(owner);
    if (i == owners_.end())
      return;
    for (auto& t : i->second.presences)
      remove(i->second, t.dot);
    forget(i);
    changed();
  }

  void sweep(const caf::actor_addr& owner, std::uint32_t generation) {
    auto i = owners_.find(owner);
    if (i == owners_.end())
      return;
    auto& list = i->second.presences;
    auto stale = std::stable_partition(list.begin(), list.end(), [&](const tracked& t) {
      return t.generation >= generation;
    });
    for (auto j = stale; j != list.end(); ++j)
      remove(i->second, j->dot);
    list.erase(stale, list.end());
    if (list.empty())
      forget(i);
    changed();
  }

  void forget(std::map<caf::actor_addr, owner_record>::iterator i) {
    demonitor(i->first);
    owners_.erase(i);
  }

  tracked* find(owner_record& rec, const std::string& topic, const std::string& key) {
    for (auto& t : rec.presences)
      if (is(t, topic, key))
        return &t;
    return nullptr;
  }

  bool is(const tracked& t, const std::string& topic, const std::string& key) const {
    const auto* e = state_.own(t.dot);
    return e && e->topic == topic && e->key == key;
  }

  // ---- reading --------------------------------------------------------------

  json list(const std::string& topic) {
    auto out = state_.list(topic);
    fetch(topic, out);
    return out;
  }

  json get_by_key(const std::string& topic, const std::string& key) {
    auto found = state_.get_by_key(topic, key);
    if (found.is_null() || !config_.fetch)
      return found;
    auto one = json{{key, std::move(found)}};
    fetch(topic, one);
    return one[key];
  }

  // The user's hook; a throwing one leaves the presences as they are.
  void fetch(const std::string& topic, json& presences) {
    if (!config_.fetch || presences.empty())
      return;
    try {
      config_.fetch(topic, presences);
    } catch (const std::exception& e) {
      log(log_level::error, "presence: the fetch hook failed on ", topic, ": ", e.what());
    }
  }

  // ---- the diffs ------------------------------------------------------------

  // Collects the changes into this batch's diff, sent once the messages
  // already waiting are handled, and no sooner than diff_every after the
  // last one: a burst of joins makes one diff per topic, a lone change
  // after a quiet spell leaves at once. A meta joining again after it left
  // in this batch closes the batch first (see presence_diff).
  void changed() {
    for (auto& c : changes_) {
      if (diff_.rejoins(c))
        flush();
      diff_.add(c);
    }
    changes_.clear();
    if (flush_due_ || diff_.empty())
      return;
    flush_due_ = true;
    auto wait = last_flush_ + config_.diff_every - clock::now();
    if (wait <= clock::duration::zero())
      send(this, flush_atom_v);
    else
      delayed_send(this, wait, flush_atom_v);
  }

  void flush() {
    flush_due_ = false;
    last_flush_ = clock::now();
    for (auto& [topic, payload] : diff_.take()) {
      states_.erase(topic); // joiners from now on may have missed this batch
      fetch(topic, payload["joins"]);
      fetch(topic, payload["leaves"]);
      bus_.local_broadcast(topic, "presence_diff", std::move(payload));
    }
  }

  // The state for a joiner. A small topic's is built for each joiner, and
  // has its own presence. A big topic's is shared by every joiner until the
  // topic's next diff, so a burst of joins builds the list once per batch,
  // not once per join: built at any moment of a batch, it plus that batch
  // is exact (see presence_diff), and the joiner, subscribed before it
  // asked, gets the batch, and its own presence in the diff after its state.
  presence_state_ptr state_for(const std::string& topic) {
    auto& cached = states_[topic];
    if (cached)
      return *cached;
    // Without a fetch hook the metas' texts make the state as they are.
    auto fresh = config_.fetch ? presence_state_ptr{list(topic)}
                               : presence_state_ptr::from_text(state_.list_text(topic));
    if (state_.keys(topic) >= shared_state_min)
      cached = fresh;
    return fresh;
  }

  // ---- replication ----------------------------------------------------------

  void tick() {
    state_.check(clock::now(), config_.down_after, config_.permdown_after, changes_);
    changed();
    bus_.broadcast(replication_topic, "heartbeat", to_json(state_.take_delta()));
    delayed_send(this, config_.broadcast_every, caf::tick_atom_v);
  }

  void on_replication(const broadcast& msg) {
    if (msg.topic != replication_topic)
      return;
    try {
      auto& p = msg.payload;
      if (msg.event == "heartbeat") {
        auto delta = delta_from_json(p);
        if (state_.merge(delta, clock::now(), changes_) == tracker_state::merge_result::gap)
          ask_snapshot(delta.replica);
      } else if (msg.event == "transfer_req") {
        if (p.at("target") == state_.name())
          send_snapshot(p.at("replica").get<std::string>());
      } else if (msg.event == "transfer_ack") {
        auto snapshot = snapshot_from_json(p);
        if (state_.merge(snapshot, clock::now(), changes_) != tracker_state::merge_result::gap)
          asked_.erase(snapshot.replica);
      }
    } catch (const std::exception& e) {
      if (bad_messages_++ < 5)
        log(log_level::warning, "presence: ignored a replication message (", msg.event,
            ") that does not parse: ", e.what());
    }
    changed();
  }

  // This node missed some of `replica`'s deltas: ask it for all it has (at
  // most once per two periods while no answer comes).
  void ask_snapshot(const std::string& replica) {
    auto now = clock::now();
    auto i = asked_.find(replica);
    if (i != asked_.end() && now - i->second < 2 * config_.broadcast_every)
      return;
    asked_[replica] = now;
    bus_.broadcast(replication_topic, "transfer_req",
                   json{{"replica", state_.name()}, {"target", replica}});
  }

  void send_snapshot(const std::string& asker) {
    auto payload = to_json(state_.snapshot());
    payload["target"] = asker;
    bus_.broadcast(replication_topic, "transfer_ack", std::move(payload));
  }

  phx::pubsub bus_;
  presence_config config_;
  tracker_state state_;
  ref_maker refs_;
  std::map<caf::actor_addr, owner_record> owners_;
  std::vector<presence_change> changes_;
  presence_diff diff_;
  std::unordered_map<std::string, std::optional<presence_state_ptr>> states_; ///< see state_for
  bool flush_due_ = false;
  clock::time_point last_flush_{};
  std::map<std::string, clock::time_point> asked_;
  std::uint64_t bad_messages_ = 0;
};

} // namespace
} // namespace detail

caf::actor spawn_presence_tracker(caf::actor_system& sys, phx::pubsub bus,
                                  presence_config config) {
  return sys.spawn<detail::tracker>(std::move(bus), std::move(config));
}

} // namespace phx
