// The tracker actor with a real registry: what channels (here plain actors)
// and subscribers see, and two trackers replicating over one pubsub.
#include <chrono>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include "phx/presence/presence.hpp"
#include "phx/pubsub/atoms.hpp"
#include "idle_actor.hpp"
#include "phx/pubsub/registry.hpp"

using namespace std::chrono_literals;
using phx::json;

namespace {


struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  phx::pubsub ps{phx::spawn_registry(sys)};
  caf::scoped_actor self{sys};

  ~fixture() {
    for (auto& a : owners)
      self->send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& t : trackers)
      self->send_exit(t, caf::exit_reason::user_shutdown);
    self->send_exit(ps.registry(), caf::exit_reason::user_shutdown);
  }

  caf::actor tracker(phx::presence_config config = {}) {
    auto t = phx::spawn_presence_tracker(sys, ps, std::move(config));
    trackers.push_back(t);
    return t;
  }

  // Stands in for a channel: it only has to live and die.
  caf::actor owner() {
    owners.push_back(sys.spawn<phx::test::idle_actor>());
    return owners.back();
  }

  // Subscribes the test to `topic`'s broadcasts (presence_diff).
  void watch(const std::string& topic) {
    ps.subscribe(topic, phx::subscription{caf::actor{self}, nullptr, nullptr, nullptr});
    count(topic, 1);
  }

  void count(const std::string& topic, std::size_t n) {
    for (int i = 0; i < 200; ++i) {
      std::size_t got = 0;
      self->request(ps.registry(), caf::infinite, phx::count_atom_v, topic)
        .receive([&](std::size_t k) { got = k; }, [](caf::error&) {});
      if (got == n)
        return;
      std::this_thread::sleep_for(5ms);
    }
    FAIL("the subscription never showed");
  }

  caf::expected<std::string> track(const caf::actor& t, const caf::actor& owner,
                                   const std::string& key, json meta,
                                   std::uint32_t generation = 0,
                                   const std::string& topic = "room:1") {
    caf::expected<std::string> out{std::string{}};
    self->request(t, 5s, phx::track_atom_v, owner, topic, key, std::move(meta), generation)
      .receive([&](std::string& ref) { out = std::move(ref); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  json list(const caf::actor& t, const std::string& topic = "room:1") {
    json out;
    self->request(t, 5s, phx::list_atom_v, topic)
      .receive([&](json& l) { out = std::move(l); }, [](caf::error&) { FAIL("no list"); });
    return out;
  }

  // The next presence_diff on a watched topic (null after `wait`).
  json next_diff(caf::timespan wait = 2s) {
    json out;
    bool done = false;
    while (!done)
      self->receive(
        [&](phx::broadcast_atom, const phx::broadcast_ptr& b) {
          if (b->event == "presence_diff") {
            out = b->payload;
            done = true;
          }
        },
        caf::after(wait) >> [&] { done = true; });
    return out;
  }

  std::vector<caf::actor> trackers;
  std::vector<caf::actor> owners;
};

} // namespace

TEST_CASE_FIXTURE(fixture, "track answers a phx_ref, lists it and tells the topic; twice is an error") {
  auto t = tracker();
  watch("room:1");
  auto ch = owner();
  auto ref = track(t, ch, "alice", {{"device", "phone"}});
  REQUIRE(ref);
  CHECK(ref->size() == 16);
  auto diff = next_diff();
  CHECK(diff == json{{"joins", {{"alice", {{"metas", {{{"device", "phone"}, {"phx_ref", *ref}}}}}}}},
                     {"leaves", json::object()}});
  CHECK(list(t)["alice"]["metas"][0]["phx_ref"] == *ref);
  auto again = track(t, ch, "alice", {{"device", "laptop"}});
  CHECK_FALSE(again);
  // Another channel of the same user: a second meta.
  auto ch2 = owner();
  auto ref2 = track(t, ch2, "alice", {{"device", "laptop"}});
  REQUIRE(ref2);
  CHECK(*ref2 != *ref);
  CHECK(list(t)["alice"]["metas"].size() == 2);
  json one;
  self->request(t, 5s, phx::get_by_key_atom_v, std::string{"room:1"}, std::string{"alice"})
    .receive([&](json& j) { one = std::move(j); }, [](caf::error&) { FAIL("no answer"); });
  CHECK(one == list(t)["alice"]);
  self->request(t, 5s, phx::get_by_key_atom_v, std::string{"room:1"}, std::string{"zed"})
    .receive([&](json& j) { one = std::move(j); }, [](caf::error&) { FAIL("no answer"); });
  CHECK(one.is_null());
}

TEST_CASE_FIXTURE(fixture, "an owner that ends takes its presences with it (a leave)") {
  auto t = tracker();
  watch("room:1");
  auto ch = owner();
  auto ref = track(t, ch, "bob", json::object());
  REQUIRE(ref);
  next_diff();
  self->send_exit(ch, caf::exit_reason::user_shutdown);
  auto diff = next_diff();
  CHECK(diff["joins"] == json::object());
  CHECK(diff["leaves"]["bob"]["metas"][0]["phx_ref"] == *ref);
  CHECK(list(t) == json::object());
}

TEST_CASE_FIXTURE(fixture, "update: one diff with the new meta joining and the old leaving, phx_ref_prev set") {
  auto t = tracker();
  watch("room:1");
  auto ch = owner();
  auto ref = track(t, ch, "alice", {{"status", "here"}});
  REQUIRE(ref);
  next_diff();
  std::string ref2;
  self->request(t, 5s, phx::update_atom_v, ch, std::string{"room:1"}, std::string{"alice"},
                json{{"status", "away"}})
    .receive([&](std::string& r) { ref2 = r; }, [](caf::error&) { FAIL("update failed"); });
  auto diff = next_diff();
  CHECK(diff["joins"]["alice"]["metas"]
        == json::array({{{"status", "away"}, {"phx_ref", ref2}, {"phx_ref_prev", *ref}}}));
  CHECK(diff["leaves"]["alice"]["metas"] == json::array({{{"status", "here"}, {"phx_ref", *ref}}}));
  // Updating a key not tracked is an error.
  bool failed = false;
  self->request(t, 5s, phx::update_atom_v, ch, std::string{"room:1"}, std::string{"zed"},
                json::object())
    .receive([](std::string&) {}, [&](caf::error&) { failed = true; });
  CHECK(failed);
}

TEST_CASE_FIXTURE(fixture, "a restarted channel tracking its key again keeps the presence; the keys it does not track again leave") {
  auto t = tracker();
  watch("room:1");
  auto ch = owner();
  auto ref = track(t, ch, "alice", {{"device", "phone"}}, 0);
  REQUIRE(ref);
  REQUIRE(track(t, ch, "typing", json::object(), 0));
  while (list(t).size() < 2 || !next_diff(200ms).is_null())
    ; // both joins seen, nothing else pending
  // The restarted instance (restarts() == 1) tracks alice again, same meta.
  auto again = track(t, ch, "alice", {{"device", "phone"}}, 1);
  REQUIRE(again);
  CHECK(*again == *ref);
  // The next diff is "typing" leaving, after the grace period: alice never left.
  auto diff = next_diff(3s);
  CHECK(diff["joins"] == json::object());
  CHECK(diff["leaves"].size() == 1);
  CHECK(diff["leaves"].contains("typing"));
  CHECK(list(t)["alice"]["metas"][0]["phx_ref"] == *ref);
  // The same generation again is a duplicate.
  CHECK_FALSE(track(t, ch, "alice", {{"device", "phone"}}, 1));
}

TEST_CASE_FIXTURE(fixture, "the fetch hook adds fields next to metas, in lists and diffs") {
  phx::presence_config config;
  config.fetch = [](const std::string& topic, json& presences) {
    for (auto& [key, p] : presences.items())
      p["user"] = {{"name", key + "@" + topic}};
  };
  auto t = tracker(config);
  watch("room:1");
  auto ch = owner();
  REQUIRE(track(t, ch, "alice", json::object()));
  auto diff = next_diff();
  CHECK(diff["joins"]["alice"]["user"]["name"] == "alice@room:1");
  CHECK(list(t)["alice"]["user"]["name"] == "alice@room:1");
}

TEST_CASE_FIXTURE(fixture, "two trackers over one pubsub (two nodes) list each other's presences; a silent one goes down") {
  phx::presence_config a_cfg;
  a_cfg.replica_name = "a";
  a_cfg.broadcast_every = 20ms;
  a_cfg.down_after = 300ms;
  auto b_cfg = a_cfg;
  b_cfg.replica_name = "b";
  auto a = tracker(a_cfg);
  auto b = tracker(b_cfg);
  auto ch_a = owner();
  auto ch_b = owner();
  REQUIRE(track(a, ch_a, "alice", json::object()));
  REQUIRE(track(b, ch_b, "bob", json::object()));
  auto settled = [&](const caf::actor& t) {
    auto l = list(t);
    return l.contains("alice") && l.contains("bob");
  };
  for (int i = 0; i < 200 && !(settled(a) && settled(b)); ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(settled(a));
  CHECK(settled(b));
  CHECK(list(a) == list(b));
  // b stops (no more heartbeats): after the down period a lists alice only.
  self->send_exit(b, caf::exit_reason::user_shutdown);
  for (int i = 0; i < 200 && list(a).contains("bob"); ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(list(a) == json{{"alice", list(a)["alice"]}});
}

TEST_CASE_FIXTURE(fixture, "track with the list: the state has the new presence, the topic hears of it only on announce") {
  auto t = tracker();
  watch("room:1");
  auto ch = owner();
  json state;
  self->request(t, 5s, phx::track_atom_v, ch, std::string{"room:1"}, std::string{"alice"},
                json{{"device", "phone"}}, std::uint32_t{0}, phx::list_atom_v)
    .receive([&](const phx::presence_state_ptr& s) { state = s.value(); },
             [](caf::error&) { FAIL("track failed"); });
  REQUIRE(state.contains("alice"));
  auto ref = state["alice"]["metas"][0]["phx_ref"];
  CHECK(next_diff(300ms).is_null()); // held
  self->send(t, phx::detail::announce_atom_v, ch);
  auto diff = next_diff();
  CHECK(diff["joins"]["alice"]["metas"][0]["phx_ref"] == ref);
  // Held and then removed before its announce: only the leave goes out
  // (its own client has it from the state; the others ignore it).
  auto ch2 = owner();
  self->request(t, 5s, phx::track_atom_v, ch2, std::string{"room:1"}, std::string{"bob"},
                json::object(), std::uint32_t{0}, phx::list_atom_v)
    .receive([](const phx::presence_state_ptr&) {}, [](caf::error&) { FAIL("track failed"); });
  self->send_exit(ch2, caf::exit_reason::user_shutdown);
  diff = next_diff();
  CHECK(diff["joins"] == json::object());
  CHECK(diff["leaves"].contains("bob"));
  self->send(t, phx::detail::announce_atom_v, ch2); // too late: nothing
  CHECK(next_diff(300ms).is_null());
}

TEST_CASE_FIXTURE(fixture, "a big topic's joiners of one batch share one state; the next diff brings what it lacks") {
  phx::presence_config config;
  config.diff_every = 2s; // one batch for the whole test
  auto t = tracker(config);
  watch("room:1");
  for (int i = 0; i < 1000; ++i)
    REQUIRE(track(t, owner(), "user-" + std::to_string(i), json::object()));
  auto join = [&](const std::string& key) {
    phx::presence_state_ptr state;
    self->request(t, 5s, phx::track_atom_v, owner(), std::string{"room:1"}, key, json::object(),
                  std::uint32_t{0}, phx::list_atom_v)
      .receive([&](const phx::presence_state_ptr& s) { state = s; },
               [](caf::error&) { FAIL("track failed"); });
    self->send(t, phx::detail::announce_atom_v, owners.back());
    return state;
  };
  auto first = join("late-1");
  auto second = join("late-2");
  CHECK(first.text().data() == second.text().data()); // the same list, encoded once
  CHECK(first.value().size() >= 1000);
  CHECK_FALSE(second.value().contains("late-2"));
  // The batch's diff has everything since, late-2 included.
  json diff;
  for (int i = 0; i < 10 && !(diff.is_object() && diff["joins"].contains("late-2")); ++i)
    diff = next_diff(3s);
  CHECK(diff["joins"].contains("late-2"));
  // After that diff a joiner gets a new state, with both.
  auto third = join("late-3");
  CHECK(third.text().data() != first.text().data());
  CHECK(third.value().contains("late-2"));
}
