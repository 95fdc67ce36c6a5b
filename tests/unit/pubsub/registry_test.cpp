#include "phx/pubsub/registry.hpp"

#include <chrono>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/atoms.hpp"
#include "phx/pubsub/pubsub.hpp"
#include "idle_actor.hpp"
#include "recording_sink.hpp"

using namespace std::chrono_literals;
using phx::json;

namespace {

using phx::test::recording_sink;

using idle_subscriber = phx::test::idle_actor;

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  phx::pubsub ps{phx::spawn_registry(sys)};
  caf::scoped_actor self{sys};

  ~fixture() { caf::anon_send_exit(ps.registry(), caf::exit_reason::user_shutdown); }

  phx::subscription fastlane(const caf::actor& who, std::shared_ptr<recording_sink> sink,
                             std::vector<std::string> intercepts = {}) {
    phx::subscription sub{who, std::move(sink), &phx::v2_json_serializer(), nullptr};
    if (!intercepts.empty())
      sub.intercepts = std::make_shared<const std::vector<std::string>>(std::move(intercepts));
    return sub;
  }

  size_t count(const std::string& topic) {
    size_t result = 0;
    self->request(ps.registry(), 2s, phx::count_atom_v, topic)
      .receive([&](size_t n) { result = n; }, [&](caf::error&) { result = 9999; });
    return result;
  }

  // Waits (bounded) until `topic` has `n` subscribers.
  bool await_count(const std::string& topic, size_t n) {
    for (int i = 0; i < 200; ++i) {
      if (count(topic) == n)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a broadcast is encoded once and the same frame reaches every sink") {
  auto a = sys.spawn<idle_subscriber>();
  auto b = sys.spawn<idle_subscriber>();
  auto sink_a = std::make_shared<recording_sink>();
  auto sink_b = std::make_shared<recording_sink>();
  ps.subscribe("room:1", fastlane(a, sink_a));
  ps.subscribe("room:1", fastlane(b, sink_b));
  REQUIRE(await_count("room:1", 2));
  REQUIRE_FALSE(ps.broadcast("room:1", "shout", json{{"n", 1}}));
  auto got_a = sink_a->wait_for(1);
  auto got_b = sink_b->wait_for(1);
  REQUIRE(got_a.size() == 1);
  REQUIRE(got_b.size() == 1);
  CHECK(got_a[0].bytes.get() == got_b[0].bytes.get()); // shared, not copied
  CHECK(json::parse(*got_a[0].bytes) == json::parse(R"([null,null,"room:1","shout",{"n":1}])"));
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "bytes reach binary-capable subscribers, V1 and text-only ones are skipped") {
  auto v2 = sys.spawn<idle_subscriber>();
  auto v1 = sys.spawn<idle_subscriber>();
  auto text_only = sys.spawn<idle_subscriber>();
  auto sink_v2 = std::make_shared<recording_sink>();
  auto sink_v1 = std::make_shared<recording_sink>();
  auto sink_text = std::make_shared<recording_sink>();
  ps.subscribe("room:b", fastlane(v2, sink_v2));
  ps.subscribe("room:b", phx::subscription{v1, sink_v1, &phx::v1_json_serializer(), nullptr});
  ps.subscribe("room:b",
               phx::subscription{text_only, sink_text, &phx::v2_json_text_serializer(), nullptr});
  REQUIRE(await_count("room:b", 3));
  std::mutex lines_mtx;
  std::vector<std::string> lines;
  phx::set_log_handler([&](phx::log_level, std::string_view line) {
    std::lock_guard<std::mutex> guard{lines_mtx};
    lines.emplace_back(line);
  });
  REQUIRE_FALSE(ps.broadcast("room:b", "shout", json::binary({0x00, 0xff, 0x01})));
  REQUIRE_FALSE(ps.broadcast("room:b", "shout", json{{"n", 2}}));
  // The JSON broadcast after the bytes reaches all three: had the bytes
  // reached V1 or text-only sinks, they would hold two frames.
  auto got_v2 = sink_v2->wait_for(2);
  auto got_v1 = sink_v1->wait_for(1);
  auto got_text = sink_text->wait_for(1);
  REQUIRE(got_v2.size() == 2);
  CHECK(got_v2[0].binary);
  CHECK_FALSE(got_v2[1].binary);
  REQUIRE(got_v1.size() == 1);
  CHECK(json::parse(*got_v1[0].bytes)["payload"] == json{{"n", 2}});
  REQUIRE(got_text.size() == 1);
  CHECK(json::parse(*got_text[0].bytes)[4] == json{{"n", 2}});
  // Text-only V2 encodes JSON exactly as V2 does.
  CHECK(*got_text[0].bytes == *got_v2[1].bytes);
  // One line for the broadcast, naming both kinds it skipped.
  phx::set_log_handler(nullptr);
  std::lock_guard<std::mutex> guard{lines_mtx};
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("v1_json, v2_json (text only)") != std::string::npos);
  for (auto& who : {v2, v1, text_only})
    self->send_exit(who, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "broadcast_from skips the sender only") {
  auto a = sys.spawn<idle_subscriber>();
  auto b = sys.spawn<idle_subscriber>();
  auto sink_a = std::make_shared<recording_sink>();
  auto sink_b = std::make_shared<recording_sink>();
  ps.subscribe("t", fastlane(a, sink_a));
  ps.subscribe("t", fastlane(b, sink_b));
  REQUIRE(await_count("t", 2));
  REQUIRE_FALSE(ps.broadcast_from(a.address(), "t", "e", json{{"from", "a"}}));
  REQUIRE_FALSE(ps.broadcast("t", "e", json{{"from", "all"}}));
  auto got_b = sink_b->wait_for(2);
  auto got_a = sink_a->wait_for(1);
  CHECK(got_b.size() == 2);
  REQUIRE(got_a.size() == 1); // only the second broadcast
  CHECK(json::parse(*got_a[0].bytes)[4] == json{{"from", "all"}});
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a forwarder gets broadcasts published here, not local ones") {
  // `self` stands in for a cluster's node bridge.
  auto a = sys.spawn<idle_subscriber>();
  auto sink = std::make_shared<recording_sink>();
  ps.subscribe("t", fastlane(a, sink));
  REQUIRE(await_count("t", 1));
  caf::anon_send(ps.registry(), phx::forward_atom_v, caf::actor{self});
  REQUIRE_FALSE(ps.local_broadcast("t", "e", json{{"n", 1}}));
  REQUIRE_FALSE(ps.broadcast_from(a.address(), "t", "e", json{{"n", 2}}));
  REQUIRE_FALSE(ps.broadcast("t", "e", json{{"n", 3}}));
  std::vector<json> forwarded;
  for (int i = 0; i < 2; ++i)
    self->receive(
      [&](phx::forward_atom, const phx::broadcast_ptr& msg) { forwarded.push_back(msg->payload); },
      caf::after(2s) >> [] {});
  REQUIRE(forwarded.size() == 2); // in order, the local one not among them
  CHECK(forwarded[0] == json{{"n", 2}});
  CHECK(forwarded[1] == json{{"n", 3}});
  auto got = sink->wait_for(2); // local delivery as before; broadcast_from skips a
  REQUIRE(got.size() == 2);
  CHECK(json::parse(*got[0].bytes)[4] == json{{"n", 1}});
  CHECK(json::parse(*got[1].bytes)[4] == json{{"n", 3}});
  caf::anon_send(ps.registry(), phx::forward_atom_v, caf::actor{}); // detached
  REQUIRE_FALSE(ps.broadcast("t", "e", json{{"n", 4}}));
  CHECK(sink->wait_for(3).size() == 3);
  bool more = false;
  self->receive([&](phx::forward_atom, const phx::broadcast_ptr&) { more = true; },
                caf::after(100ms) >> [] {});
  CHECK_FALSE(more);
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "intercepted events and plain subscribers get the broadcast itself") {
  auto sink = std::make_shared<recording_sink>();
  ps.subscribe("t", fastlane(self, sink, {"filtered"}));
  REQUIRE(await_count("t", 1));
  REQUIRE_FALSE(ps.broadcast("t", "filtered", json{{"x", 1}}));
  std::string event;
  self->receive([&](phx::broadcast_atom, const phx::broadcast_ptr& msg) { event = msg->event; },
                caf::after(2s) >> [] {});
  CHECK(event == "filtered");
  REQUIRE_FALSE(ps.broadcast("t", "other", json::object())); // not intercepted: fastlane
  CHECK(sink->wait_for(1).size() == 1);
}

TEST_CASE_FIXTURE(fixture, "dead subscribers vanish from every topic, unsubscribe removes one") {
  auto a = sys.spawn<idle_subscriber>();
  auto b = sys.spawn<idle_subscriber>();
  auto sink = std::make_shared<recording_sink>();
  ps.subscribe("x", fastlane(a, sink));
  ps.subscribe("y", fastlane(a, sink));
  ps.subscribe("x", fastlane(b, sink));
  REQUIRE(await_count("x", 2));
  REQUIRE(await_count("y", 1));
  self->send_exit(a, caf::exit_reason::kill);
  CHECK(await_count("x", 1));
  CHECK(await_count("y", 0));
  ps.unsubscribe("x", b);
  CHECK(await_count("x", 0));
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "removals in any order leave exactly the remaining subscribers") {
  // Removal moves the topic's last subscriber into the freed slot: every
  // later removal and broadcast must still find each subscriber where it is.
  constexpr int n = 6;
  std::vector<caf::actor> subs;
  std::vector<std::shared_ptr<recording_sink>> sinks;
  for (int i = 0; i < n; ++i) {
    subs.push_back(sys.spawn<idle_subscriber>());
    sinks.push_back(std::make_shared<recording_sink>());
    ps.subscribe("t", fastlane(subs[i], sinks[i]));
    if (i % 2 == 0)
      ps.subscribe("u", fastlane(subs[i], sinks[i]));
  }
  REQUIRE(await_count("t", n));
  ps.unsubscribe("t", subs[0]);                         // a first slot
  self->send_exit(subs[5], caf::exit_reason::kill);     // the last slot, dies
  ps.unsubscribe("t", subs[2]);                         // a slot refilled
  self->send_exit(subs[4], caf::exit_reason::kill);     // in both topics
  REQUIRE(await_count("t", 2));
  REQUIRE(await_count("u", 2));
  REQUIRE_FALSE(ps.broadcast("t", "e", json{{"to", "t"}}));
  REQUIRE_FALSE(ps.broadcast("u", "e", json{{"to", "u"}}));
  // Each sink's frames, in order: t's broadcast, then u's.
  auto topics_of = [&](int i, size_t expect) {
    std::vector<std::string> seen;
    for (auto& f : sinks[i]->wait_for(expect))
      seen.push_back(json::parse(*f.bytes)[4]["to"].get<std::string>());
    return seen;
  };
  CHECK(topics_of(1, 1) == std::vector<std::string>{"t"});
  CHECK(topics_of(3, 1) == std::vector<std::string>{"t"});
  CHECK(topics_of(0, 1) == std::vector<std::string>{"u"});
  CHECK(topics_of(2, 1) == std::vector<std::string>{"u"});
  CHECK(sinks[4]->wait_for(0).empty());
  CHECK(sinks[5]->wait_for(0).empty());
  for (auto& s : subs)
    self->send_exit(s, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "subscribing twice replaces the entry instead of delivering twice") {
  auto a = sys.spawn<idle_subscriber>();
  auto sink = std::make_shared<recording_sink>();
  ps.subscribe("t", fastlane(a, sink));
  ps.subscribe("t", fastlane(a, sink));
  REQUIRE(await_count("t", 1));
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "payloads that are not objects are refused before sending") {
  CHECK(ps.broadcast("t", "e", json::array()));
  CHECK(ps.broadcast("t", "e", "text"));
  CHECK(phx::pubsub{}.broadcast("t", "e", json::object()));
}

namespace {

// A sink that keeps deferred frames until flush(), as a transport does; it
// asks for one flush per batch, like websocket_session.
class deferring_sink : public phx::frame_sink {
public:
  void send(phx::frame f) override {
    std::lock_guard<std::mutex> guard{mtx_};
    written_.push_back(std::move(f));
  }
  bool defer(phx::frame f) override {
    std::lock_guard<std::mutex> guard{mtx_};
    pending_.push_back(std::move(f));
    return !std::exchange(waiting_, true);
  }
  void flush() override {
    std::lock_guard<std::mutex> guard{mtx_};
    ++flushes_;
    waiting_ = false;
    for (auto& f : pending_)
      written_.push_back(std::move(f));
    pending_.clear();
  }
  void close(phx::close_code, std::string) override {}

  // Frames written so far (bounded wait for `n`), and the flushes it took.
  std::pair<std::vector<std::string>, int> wait_written(size_t n) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (written_.size() >= n) {
          std::vector<std::string> texts;
          for (auto& f : written_)
            texts.push_back(*f.bytes);
          return {texts, flushes_};
        }
      }
      std::this_thread::sleep_for(10ms);
    }
    return {{}, flushes_};
  }

private:
  std::mutex mtx_;
  std::vector<phx::frame> pending_, written_;
  bool waiting_ = false;
  int flushes_ = 0;
};

std::string nth_of(const std::string& text) {
  return json::parse(text)[4]["n"].dump();
}

} // namespace

TEST_CASE_FIXTURE(fixture, "fastlane frames are deferred, then every waiting sink is flushed") {
  auto a = sys.spawn<idle_subscriber>();
  auto sink = std::make_shared<deferring_sink>();
  ps.subscribe("room:d", phx::subscription{a, sink, &phx::v2_json_serializer(), nullptr});
  REQUIRE(await_count("room:d", 1));
  for (int n = 0; n < 3; ++n)
    REQUIRE_FALSE(ps.broadcast("room:d", "shout", json{{"n", n}}));
  auto [texts, flushes] = sink->wait_written(3);
  REQUIRE(texts.size() == 3);
  CHECK(nth_of(texts[0]) == "0");
  CHECK(nth_of(texts[2]) == "2");
  CHECK(flushes == 3); // the registry flushed itself after each broadcast
}

TEST_CASE("a registry hands the sinks a broadcast left waiting to its flush function") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // Holds the batches back, as busy I/O threads would, then flushes them.
  std::mutex mtx;
  std::vector<std::vector<phx::frame_sink_ptr>> batches;
  auto flush = [&](std::vector<phx::frame_sink_ptr> sinks) {
    std::lock_guard<std::mutex> guard{mtx};
    batches.push_back(std::move(sinks));
  };
  phx::pubsub ps{phx::spawn_registry(sys, flush)};
  caf::scoped_actor self{sys};
  std::vector<caf::actor> subscribers;
  std::vector<std::shared_ptr<deferring_sink>> sinks;
  for (int i = 0; i < 3; ++i) {
    subscribers.push_back(sys.spawn<idle_subscriber>());
    sinks.push_back(std::make_shared<deferring_sink>());
    ps.subscribe("room:f", phx::subscription{subscribers.back(), sinks.back(),
                                             &phx::v2_json_serializer(), nullptr});
  }
  size_t subscribed = 0;
  for (int i = 0; i < 200 && subscribed != 3; ++i)
    self->request(ps.registry(), 2s, phx::count_atom_v, std::string{"room:f"})
      .receive([&](size_t n) { subscribed = n; }, [&](caf::error&) {});
  REQUIRE(subscribed == 3);
  // Two broadcasts before any flush: each sink waits once, both frames queued.
  REQUIRE_FALSE(ps.broadcast("room:f", "shout", json{{"n", 1}}));
  REQUIRE_FALSE(ps.broadcast("room:f", "shout", json{{"n", 2}}));
  // A request after both broadcasts returns once the registry handled them.
  self->request(ps.registry(), 2s, phx::count_atom_v, std::string{"room:f"})
    .receive([](size_t) {}, [](caf::error&) {});
  size_t waiting = 0;
  {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& batch : batches)
      waiting += batch.size();
  }
  CHECK(waiting == 3);
  {
    std::lock_guard<std::mutex> guard{mtx};
    REQUIRE(batches.size() == 1);
    for (auto& sink : batches.front())
      sink->flush();
  }
  for (auto& sink : sinks) {
    auto [texts, flushes] = sink->wait_written(2);
    REQUIRE(texts.size() == 2);
    CHECK(nth_of(texts[0]) == "1");
    CHECK(nth_of(texts[1]) == "2");
    CHECK(flushes == 1); // both frames in one write
  }
  caf::anon_send_exit(ps.registry(), caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "each broadcast published here counts once, its deliveries by kind") {
  // Process-wide counters: only how far they move is this test's.
  auto& m = phx::metrics::node();
  struct moved {
    std::int64_t broadcasts, fastlane, channel;
  };
  auto now = [&] {
    return moved{m.broadcasts.value(), m.deliveries_fastlane.value(),
                 m.deliveries_channel.value()};
  };
  // Three fastlane sinks, one channel that intercepts "e", one plain subscriber.
  std::vector<caf::actor> fast;
  for (int i = 0; i < 3; ++i) {
    fast.push_back(sys.spawn<idle_subscriber>());
    ps.subscribe("m", fastlane(fast.back(), std::make_shared<recording_sink>()));
  }
  caf::scoped_actor intercepting{sys};
  caf::scoped_actor plain{sys};
  ps.subscribe("m", fastlane(intercepting, std::make_shared<recording_sink>(), {"e"}));
  ps.subscribe("m", phx::subscription{plain, nullptr, nullptr, nullptr});
  REQUIRE(await_count("m", 5));
  // Each publish is counted by the time a later request to the registry is answered.
  auto after = [&](auto publish) {
    auto before = now();
    REQUIRE_FALSE(publish());
    count("m");
    auto later = now();
    return moved{later.broadcasts - before.broadcasts, later.fastlane - before.fastlane,
                 later.channel - before.channel};
  };
  auto d = after([&] { return ps.broadcast("m", "e", json{{"n", 1}}); });
  CHECK(d.broadcasts == 1);
  CHECK(d.fastlane == 3);
  CHECK(d.channel == 2);
  // Not intercepted: the intercepting channel's sink gets it; the sender none.
  d = after([&] { return ps.broadcast_from(fast[0].address(), "m", "other", json::object()); });
  CHECK(d.broadcasts == 1);
  CHECK(d.fastlane == 3);
  CHECK(d.channel == 1);
  // A peer's broadcast is published here as a local one.
  d = after([&] { return ps.local_broadcast("m", "e", json::object()); });
  CHECK(d.broadcasts == 1);
  CHECK(d.fastlane == 3);
  CHECK(d.channel == 2);
  // Published here with no one to deliver to.
  d = after([&] { return ps.broadcast("m:nobody", "e", json::object()); });
  CHECK(d.broadcasts == 1);
  CHECK(d.fastlane == 0);
  CHECK(d.channel == 0);
  for (auto& who : fast)
    self->send_exit(who, caf::exit_reason::user_shutdown);
}
