#include "tracker_state.hpp"

#include <algorithm>

namespace phx::detail {

tracker_state::tracker_state(std::string name, std::uint64_t vsn)
  : name_(std::move(name)), vsn_(vsn) {
  auto& r = replicas_[name_];
  r.name = name_;
  r.vsn = vsn_;
  self_ = &r;
}

// -- this replica's presences -------------------------------------------------

std::uint64_t tracker_state::add(presence_entry entry, std::vector<presence_change>& changes) {
  auto dot = ++self_->context;
  ops_.push_back(presence_op{dot, dot, entry});
  apply_add(*self_, dot, std::move(entry), changes);
  return dot;
}

void tracker_state::remove(std::uint64_t dot, std::vector<presence_change>& changes) {
  if (!self_->entries.count(dot))
    return;
  ops_.push_back(presence_op{++self_->context, dot, std::nullopt});
  apply_remove(*self_, dot, changes);
}

const presence_entry* tracker_state::own(std::uint64_t dot) const {
  auto i = self_->entries.find(dot);
  return i == self_->entries.end() ? nullptr : &i->second;
}

replica_delta tracker_state::take_delta() {
  replica_delta d{name_, vsn_, delta_from_, self_->context, std::move(ops_)};
  ops_.clear();
  delta_from_ = self_->context;
  return d;
}

replica_snapshot tracker_state::snapshot() const {
  replica_snapshot s{name_, vsn_, self_->context, {}};
  s.entries.reserve(self_->entries.size());
  for (auto& [dot, e] : self_->entries)
    s.entries.emplace_back(dot, e);
  std::sort(s.entries.begin(), s.entries.end(),
            [](auto& a, auto& b) { return a.first < b.first; });
  return s;
}

// -- the other replicas -------------------------------------------------------

tracker_state::replica* tracker_state::heard_from(const std::string& name, std::uint64_t vsn,
                                                  clock::time_point now,
                                                  std::vector<presence_change>& changes) {
  if (name == name_)
    return nullptr; // our own heartbeat, or a stale one of our previous life
  auto [i, fresh] = replicas_.try_emplace(name);
  auto& r = i->second;
  if (fresh) {
    r.name = name;
    r.vsn = vsn;
  } else if (vsn < r.vsn) {
    return nullptr; // a late message of a previous life
  } else if (vsn > r.vsn) {
    // It restarted: what its previous life tracked is gone.
    if (r.up)
      hide_all(r, changes);
    r.entries.clear();
    r.context = 0;
    r.vsn = vsn;
    r.up = true;
  }
  r.heard = now;
  if (!r.up) {
    r.up = true;
    for (auto& [dot, e] : r.entries)
      show(r, dot, e, changes);
  }
  return &r;
}

tracker_state::merge_result tracker_state::merge(const replica_delta& delta,
                                                 clock::time_point now,
                                                 std::vector<presence_change>& changes) {
  auto* r = heard_from(delta.replica, delta.vsn, now, changes);
  if (!r)
    return merge_result::ignored;
  if (delta.to <= r->context)
    return merge_result::applied; // nothing new
  if (delta.from > r->context)
    return merge_result::gap;
  for (auto& op : delta.ops) {
    if (op.clock <= r->context)
      continue; // applied before
    if (op.added)
      apply_add(*r, op.dot, *op.added, changes);
    else
      apply_remove(*r, op.dot, changes);
  }
  r->context = delta.to;
  return merge_result::applied;
}

tracker_state::merge_result tracker_state::merge(const replica_snapshot& snapshot,
                                                 clock::time_point now,
                                                 std::vector<presence_change>& changes) {
  auto* r = heard_from(snapshot.replica, snapshot.vsn, now, changes);
  if (!r)
    return merge_result::ignored;
  if (snapshot.clock <= r->context)
    return merge_result::applied;
  // What the snapshot lacks was removed; what it has beyond ours was added.
  std::unordered_map<std::uint64_t, const presence_entry*> incoming;
  for (auto& [dot, e] : snapshot.entries)
    incoming.emplace(dot, &e);
  std::vector<std::uint64_t> gone;
  for (auto& [dot, e] : r->entries)
    if (!incoming.count(dot))
      gone.push_back(dot);
  for (auto dot : gone)
    apply_remove(*r, dot, changes);
  for (auto& [dot, e] : snapshot.entries)
    if (!r->entries.count(dot))
      apply_add(*r, dot, e, changes);
  r->context = snapshot.clock;
  return merge_result::applied;
}

void tracker_state::check(clock::time_point now, clock::duration down_after,
                          clock::duration permdown_after, std::vector<presence_change>& changes) {
  for (auto i = replicas_.begin(); i != replicas_.end();) {
    auto& r = i->second;
    if (&r == self_) {
      ++i;
      continue;
    }
    auto silent = now - r.heard;
    if (r.up && silent > down_after) {
      r.up = false;
      for (auto& [dot, e] : r.entries)
        hide(r, dot, e, changes);
    }
    if (!r.up && silent > permdown_after)
      i = replicas_.erase(i); // already hidden: no change to report
    else
      ++i;
  }
}

bool tracker_state::is_up(const std::string& replica) const {
  auto i = replicas_.find(replica);
  return i != replicas_.end() && i->second.up;
}

std::uint64_t tracker_state::context(const std::string& replica) const {
  auto i = replicas_.find(replica);
  return i == replicas_.end() ? 0 : i->second.context;
}

// -- entries and the listing --------------------------------------------------

void tracker_state::apply_add(replica& r, std::uint64_t dot, presence_entry entry,
                              std::vector<presence_change>& changes) {
  auto [i, fresh] = r.entries.emplace(dot, std::move(entry));
  if (fresh && r.up)
    show(r, dot, i->second, changes);
}

void tracker_state::apply_remove(replica& r, std::uint64_t dot,
                                 std::vector<presence_change>& changes) {
  auto i = r.entries.find(dot);
  if (i == r.entries.end())
    return;
  if (r.up)
    hide(r, dot, i->second, changes);
  r.entries.erase(i);
}

void tracker_state::show(const replica& r, std::uint64_t dot, const presence_entry& e,
                         std::vector<presence_change>& changes) {
  topics_[e.topic][e.key].push_back(entry_ref{&r, dot});
  ++listed_;
  changes.push_back(presence_change{true, e.topic, e.key, e.meta});
}

void tracker_state::hide(const replica& r, std::uint64_t dot, const presence_entry& e,
                         std::vector<presence_change>& changes) {
  auto t = topics_.find(e.topic);
  if (t == topics_.end())
    return;
  auto k = t->second.find(e.key);
  if (k == t->second.end())
    return;
  auto& refs = k->second;
  if (!refs.erase(entry_ref{&r, dot}))
    return;
  --listed_;
  if (refs.empty()) {
    t->second.erase(k);
    if (t->second.empty())
      topics_.erase(t);
  }
  changes.push_back(presence_change{false, e.topic, e.key, e.meta});
}

void tracker_state::hide_all(replica& r, std::vector<presence_change>& changes) {
  for (auto& [dot, e] : r.entries)
    hide(r, dot, e, changes);
}

const presence_meta& tracker_state::meta_of(const entry_ref& ref) {
  return ref.owner->entries.at(ref.dot).meta;
}

json tracker_state::list(const std::string& topic) const {
  auto out = json::object();
  auto t = topics_.find(topic);
  if (t == topics_.end())
    return out;
  for (auto& [key, refs] : t->second) {
    auto metas = json::array();
    refs.for_each([&](const entry_ref& ref) { metas.push_back(meta_of(ref).value()); });
    out[key] = json{{"metas", std::move(metas)}};
  }
  return out;
}

std::size_t tracker_state::keys(const std::string& topic) const {
  auto t = topics_.find(topic);
  return t == topics_.end() ? 0 : t->second.size();
}

std::string tracker_state::list_text(const std::string& topic) const {
  std::string out = "{";
  auto t = topics_.find(topic);
  if (t != topics_.end()) {
    out.reserve(t->second.size() * 64);
    // Keys in the index's order, which is nlohmann's for an object.
    for (auto& [key, refs] : t->second) {
      if (out.size() > 1)
        out += ',';
      out += dump_json(key);
      out += ":{\"metas\":[";
      for (size_t i = 0; i < refs.size(); ++i) {
        if (i > 0)
          out += ',';
        out += meta_of(refs[i]).text();
      }
      out += "]}";
    }
  }
  out += '}';
  return out;
}

json tracker_state::get_by_key(const std::string& topic, const std::string& key) const {
  auto t = topics_.find(topic);
  if (t == topics_.end())
    return nullptr;
  auto k = t->second.find(key);
  if (k == t->second.end())
    return nullptr;
  auto metas = json::array();
  k->second.for_each([&](const entry_ref& ref) { metas.push_back(meta_of(ref).value()); });
  return json{{"metas", std::move(metas)}};
}

} // namespace phx::detail
