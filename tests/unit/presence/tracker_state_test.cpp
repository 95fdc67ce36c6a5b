// The presence CRDT (tracker_state), the diff batch and the replication
// payloads, without actors: time is passed in, so every case is exact.
#include "tracker_state.hpp"

#include <algorithm>
#include <random>

#include <doctest/doctest.h>

#include "presence_diff.hpp"
#include "replication_json.hpp"

using namespace std::chrono_literals;
using phx::json;
using phx::detail::presence_change;
using phx::detail::presence_diff;
using phx::detail::presence_entry;
using phx::detail::replica_delta;
using phx::detail::tracker_state;
using merge = tracker_state::merge_result;

namespace {

using changes = std::vector<presence_change>;
const auto t0 = tracker_state::clock::time_point{} + 1h;
constexpr auto down = 30s;
constexpr auto permdown = 20min;

presence_entry entry(const std::string& key, const std::string& ref,
                     const std::string& topic = "room:1") {
  return presence_entry{topic, key, json{{"phx_ref", ref}}};
}

// "key/ref" of every listed meta of `topic`, sorted: what clients see.
std::vector<std::string> listed(const tracker_state& s, const std::string& topic = "room:1") {
  std::vector<std::string> out;
  auto list = s.list(topic);
  for (auto& [key, v] : list.items())
    for (auto& meta : v["metas"])
      out.push_back(key + "/" + meta["phx_ref"].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

// "key/ref" of the changes that joined (or left), sorted.
std::vector<std::string> joins(const changes& cs, bool joined = true) {
  std::vector<std::string> out;
  for (auto& c : cs)
    if (c.joined == joined)
      out.push_back(c.key + "/" + c.meta.ref());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> leaves(const changes& cs) {
  return joins(cs, false);
}

} // namespace

TEST_CASE("a replica's own adds and removes are listed and reported as changes") {
  tracker_state a{"a", 1};
  changes cs;
  auto d1 = a.add(entry("alice", "r1"), cs);
  a.add(entry("bob", "r2"), cs);
  a.add(entry("alice", "r3"), cs);
  CHECK(joins(cs) == std::vector<std::string>{"alice/r1", "alice/r3", "bob/r2"});
  CHECK(a.list("room:1")["alice"]["metas"].size() == 2);
  cs.clear();
  a.remove(d1, cs);
  CHECK(leaves(cs) == std::vector<std::string>{"alice/r1"});
  CHECK(listed(a) == std::vector<std::string>{"alice/r3", "bob/r2"});
  CHECK(a.get_by_key("room:1", "bob") == json{{"metas", {{{"phx_ref", "r2"}}}}});
  CHECK(a.get_by_key("room:1", "carol").is_null());
  CHECK(a.list("room:2") == json::object());
  CHECK(a.size() == 2);
}

TEST_CASE("the list as text is the list's JSON, metas as they were given") {
  tracker_state a{"a", 1};
  changes cs;
  CHECK(a.list_text("room:1") == "{}");
  a.add(presence_entry{"room:1", "bob", json{{"phx_ref", "r2"}, {"device", nullptr}}}, cs);
  a.add(presence_entry{"room:1", "al\"ice", json{{"phx_ref", "r1"}, {"n", {1, 2.5, "\u00e9"}}}}, cs);
  a.add(entry("bob", "r3"), cs);
  a.add(presence_entry{"room:2", "carol", json{{"phx_ref", "r4"}}}, cs);
  auto text = a.list_text("room:1");
  CHECK(text == a.list("room:1").dump());
  CHECK(json::parse(text)["al\"ice"]["metas"][0]["n"][2] == "\u00e9");
  CHECK(json::parse(text)["bob"]["metas"].size() == 2);
  CHECK(a.keys("room:1") == 2);
  CHECK(a.keys("room:3") == 0);
}

TEST_CASE("deltas carry a replica's operations to another, which lists the same") {
  tracker_state a{"a", 1}, b{"b", 1};
  changes cs;
  auto d1 = a.add(entry("alice", "r1"), cs);
  a.add(entry("bob", "r2"), cs);
  auto first = a.take_delta();
  CHECK(first.from == 0);
  CHECK(first.to == 2);
  a.remove(d1, cs);
  auto second = a.take_delta();
  CHECK(second.from == 2);
  CHECK(second.to == 3);

  cs.clear();
  CHECK(b.merge(first, t0, cs) == merge::applied);
  CHECK(joins(cs) == std::vector<std::string>{"alice/r1", "bob/r2"});
  cs.clear();
  CHECK(b.merge(second, t0, cs) == merge::applied);
  CHECK(leaves(cs) == std::vector<std::string>{"alice/r1"});
  CHECK(listed(b) == listed(a));
  CHECK(b.context("a") == 3);
}

TEST_CASE("merging is idempotent: a delta applied twice changes nothing the second time") {
  tracker_state a{"a", 1}, b{"b", 1};
  changes cs;
  a.add(entry("alice", "r1"), cs);
  auto delta = a.take_delta();
  cs.clear();
  b.merge(delta, t0, cs);
  auto once = listed(b);
  cs.clear();
  CHECK(b.merge(delta, t0, cs) == merge::applied);
  CHECK(cs.empty());
  CHECK(listed(b) == once);
}

TEST_CASE("merging is commutative: replicas' deltas in any order give the same state") {
  tracker_state a{"a", 1}, b{"b", 1}, c{"c", 1};
  changes cs;
  a.add(entry("alice", "ra"), cs);
  b.add(entry("alice", "rb"), cs);
  c.add(entry("carol", "rc"), cs);
  std::vector<replica_delta> deltas{a.take_delta(), b.take_delta(), c.take_delta()};
  std::vector<std::size_t> order{0, 1, 2};
  std::vector<std::string> expected;
  do {
    tracker_state x{"x", 1};
    for (auto i : order)
      x.merge(deltas[i], t0, cs);
    if (expected.empty())
      expected = listed(x);
    CHECK(listed(x) == expected);
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(expected == std::vector<std::string>{"alice/ra", "alice/rb", "carol/rc"});
}

TEST_CASE("add wins: a presence removed and added again by its owner is listed once, with the new ref") {
  tracker_state a{"a", 1}, b{"b", 1};
  changes cs;
  auto d = a.add(entry("alice", "r1"), cs);
  b.merge(a.take_delta(), t0, cs);
  a.remove(d, cs);
  a.add(entry("alice", "r2"), cs);
  cs.clear();
  b.merge(a.take_delta(), t0, cs);
  CHECK(listed(b) == std::vector<std::string>{"alice/r2"});
  CHECK(joins(cs) == std::vector<std::string>{"alice/r2"});
  CHECK(leaves(cs) == std::vector<std::string>{"alice/r1"});
}

TEST_CASE("out of order: a delta after a missing one is a gap, and the snapshot repairs it") {
  tracker_state a{"a", 1}, b{"b", 1};
  changes cs;
  auto d1 = a.add(entry("alice", "r1"), cs);
  auto first = a.take_delta();
  a.add(entry("bob", "r2"), cs);
  a.remove(d1, cs);
  auto second = a.take_delta();
  a.add(entry("carol", "r3"), cs);
  auto third = a.take_delta();

  CHECK(b.merge(first, t0, cs) == merge::applied);
  cs.clear();
  CHECK(b.merge(third, t0, cs) == merge::gap); // second went missing
  CHECK(cs.empty());
  CHECK(listed(b) == std::vector<std::string>{"alice/r1"});
  CHECK(b.merge(a.snapshot(), t0, cs) == merge::applied);
  CHECK(listed(b) == listed(a));
  CHECK(joins(cs) == std::vector<std::string>{"bob/r2", "carol/r3"});
  CHECK(leaves(cs) == std::vector<std::string>{"alice/r1"});
  // The late delta, and an old snapshot, change nothing now.
  cs.clear();
  CHECK(b.merge(second, t0, cs) == merge::applied);
  CHECK(b.merge(third, t0, cs) == merge::applied);
  CHECK(cs.empty());
  CHECK(listed(b) == listed(a));
}

TEST_CASE("shuffled deltas plus snapshots on every gap always end where the owner is") {
  std::mt19937 rng{42};
  for (int round = 0; round < 50; ++round) {
    tracker_state a{"a", 1}, b{"b", 1};
    changes cs;
    std::vector<std::uint64_t> live;
    std::vector<replica_delta> deltas;
    for (int step = 0; step < 40; ++step) {
      if (!live.empty() && rng() % 3 == 0) {
        auto i = rng() % live.size();
        a.remove(live[i], cs);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        live.push_back(a.add(entry("k" + std::to_string(rng() % 5), "r" + std::to_string(step)), cs));
      }
      if (rng() % 4 == 0)
        deltas.push_back(a.take_delta());
    }
    deltas.push_back(a.take_delta());
    std::shuffle(deltas.begin(), deltas.end(), rng);
    for (auto& d : deltas)
      if (b.merge(d, t0, cs) == merge::gap && rng() % 2 == 0)
        b.merge(a.snapshot(), t0, cs);
    b.merge(a.snapshot(), t0, cs);
    REQUIRE(listed(b) == listed(a));
  }
}

TEST_CASE("a replica not heard from is down (its presences leave but are kept), then up again") {
  tracker_state a{"a", 1}, b{"b", 1};
  changes cs;
  a.add(entry("alice", "r1"), cs);
  b.merge(a.take_delta(), t0, cs);

  cs.clear();
  b.check(t0 + 29s, down, permdown, cs);
  CHECK(cs.empty());
  b.check(t0 + 31s, down, permdown, cs);
  CHECK(leaves(cs) == std::vector<std::string>{"alice/r1"});
  CHECK_FALSE(b.is_up("a"));
  CHECK(listed(b).empty());

  // Heard again (same version): its presences join again, nothing twice.
  cs.clear();
  CHECK(b.merge(a.take_delta(), t0 + 40s, cs) == merge::applied);
  CHECK(b.is_up("a"));
  CHECK(joins(cs) == std::vector<std::string>{"alice/r1"});
  CHECK(listed(b) == std::vector<std::string>{"alice/r1"});
  // A change it made while it was down comes with its next delta.
  a.add(entry("bob", "r2"), cs);
  b.merge(a.take_delta(), t0 + 41s, cs);
  CHECK(listed(b) == listed(a));
}

TEST_CASE("a replica down past the permanent-down period is forgotten") {
  tracker_state a{"a", 1}, b{"b", 1};
  changes cs;
  a.add(entry("alice", "r1"), cs);
  b.merge(a.take_delta(), t0, cs);
  b.check(t0 + 31s, down, permdown, cs);
  cs.clear();
  b.check(t0 + 21min, down, permdown, cs);
  CHECK(cs.empty()); // it left at down already
  CHECK(b.context("a") == 0);
  // Back after all (same version), it is a stranger with a gap: the
  // snapshot brings its presences back.
  a.add(entry("bob", "r2"), cs);
  CHECK(b.merge(a.take_delta(), t0 + 22min, cs) == merge::gap);
  b.merge(a.snapshot(), t0 + 22min, cs);
  CHECK(listed(b) == listed(a));
}

TEST_CASE("a restarted replica (same name, higher version) replaces its previous life at once") {
  tracker_state old_a{"a", 1}, b{"b", 1};
  changes cs;
  old_a.add(entry("alice", "r1"), cs);
  old_a.add(entry("bob", "r2"), cs);
  b.merge(old_a.take_delta(), t0, cs);

  tracker_state new_a{"a", 2};
  new_a.add(entry("alice", "r9"), cs);
  cs.clear();
  CHECK(b.merge(new_a.take_delta(), t0 + 1s, cs) == merge::applied);
  CHECK(leaves(cs) == std::vector<std::string>{"alice/r1", "bob/r2"});
  CHECK(joins(cs) == std::vector<std::string>{"alice/r9"});
  CHECK(listed(b) == std::vector<std::string>{"alice/r9"});
  // A late message of the previous life is ignored.
  old_a.add(entry("carol", "r3"), cs);
  cs.clear();
  CHECK(b.merge(old_a.take_delta(), t0 + 2s, cs) == merge::ignored);
  CHECK(b.merge(old_a.snapshot(), t0 + 2s, cs) == merge::ignored);
  CHECK(cs.empty());
  CHECK(listed(b) == std::vector<std::string>{"alice/r9"});
}

TEST_CASE("a restarted replica that was down: its old presences had left, nothing leaves twice") {
  tracker_state old_a{"a", 1}, b{"b", 1};
  changes cs;
  old_a.add(entry("alice", "r1"), cs);
  b.merge(old_a.take_delta(), t0, cs);
  b.check(t0 + 31s, down, permdown, cs);
  tracker_state new_a{"a", 2};
  cs.clear();
  b.merge(new_a.take_delta(), t0 + 32s, cs);
  CHECK(cs.empty());
  CHECK(listed(b).empty());
  CHECK(b.is_up("a"));
}

TEST_CASE("a replica ignores its own messages") {
  tracker_state a{"a", 1};
  changes cs;
  a.add(entry("alice", "r1"), cs);
  auto delta = a.take_delta();
  cs.clear();
  CHECK(a.merge(delta, t0, cs) == merge::ignored);
  CHECK(cs.empty());
  CHECK(listed(a) == std::vector<std::string>{"alice/r1"});
}

TEST_CASE("presences on other topics are listed apart") {
  tracker_state a{"a", 1};
  changes cs;
  a.add(entry("alice", "r1", "room:1"), cs);
  a.add(entry("alice", "r2", "room:2"), cs);
  CHECK(listed(a, "room:1") == std::vector<std::string>{"alice/r1"});
  CHECK(listed(a, "room:2") == std::vector<std::string>{"alice/r2"});
}

// ---- the diff batch -----------------------------------------------------------

namespace {

presence_change change(bool joined, const std::string& key, const std::string& ref,
                       const std::string& topic = "room:1") {
  return presence_change{joined, topic, key, json{{"phx_ref", ref}}};
}

} // namespace

TEST_CASE("a diff has joins and leaves, both always there, per topic") {
  presence_diff d;
  CHECK(d.empty());
  d.add(change(true, "alice", "r1"));
  d.add(change(true, "alice", "r2"));
  d.add(change(false, "bob", "r3", "room:2"));
  auto out = d.take();
  REQUIRE(out.size() == 2);
  CHECK(out[0].first == "room:1");
  CHECK(out[0].second == json::parse(R"({"joins":{"alice":{"metas":[{"phx_ref":"r1"},{"phx_ref":"r2"}]}},"leaves":{}})"));
  CHECK(out[1].second == json::parse(R"({"joins":{},"leaves":{"bob":{"metas":[{"phx_ref":"r3"}]}}})"));
  CHECK(d.empty());
}

TEST_CASE("an update is one diff: the new meta joins, the old one leaves") {
  presence_diff d;
  d.add(change(false, "alice", "r1"));
  d.add(change(true, "alice", "r2"));
  auto out = d.take();
  REQUIRE(out.size() == 1);
  CHECK(out[0].second["joins"]["alice"]["metas"] == json::parse(R"([{"phx_ref":"r2"}])"));
  CHECK(out[0].second["leaves"]["alice"]["metas"] == json::parse(R"([{"phx_ref":"r1"}])"));
}

TEST_CASE("a meta that joins and leaves in one batch is sent as both; leaving and joining again needs a new batch") {
  presence_diff d;
  d.add(change(true, "alice", "r1"));
  CHECK_FALSE(d.rejoins(change(false, "alice", "r1")));
  d.add(change(false, "alice", "r1"));
  d.add(change(false, "bob", "r2")); // a node down ...
  CHECK(d.rejoins(change(true, "bob", "r2"))); // ... and back: send this batch first
  CHECK_FALSE(d.rejoins(change(true, "bob", "r3")));
  CHECK_FALSE(d.rejoins(change(true, "carol", "r2")));
  auto out = d.take();
  REQUIRE(out.size() == 1);
  CHECK(out[0].second["joins"]["alice"]["metas"] == json::parse(R"([{"phx_ref":"r1"}])"));
  CHECK(out[0].second["leaves"]["alice"]["metas"] == json::parse(R"([{"phx_ref":"r1"}])"));
  CHECK(out[0].second["leaves"]["bob"]["metas"] == json::parse(R"([{"phx_ref":"r2"}])"));
}
