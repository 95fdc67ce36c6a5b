// The channel counters of phx::metrics::node(), driven through a connection
// actor with a recording sink. They are process-wide: each test looks only
// at how far they move while it runs.
#include "phx/actors/connection.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include "phx/metrics/node_metrics.hpp"
#include "phx/pubsub/registry.hpp"
#include "recording_sink.hpp"
#include "v2_connection_setup.hpp"

using namespace std::chrono_literals;
using phx::json;

namespace {

/// How far one counter moved since this was made.
class since {
public:
  explicit since(const phx::metrics::counter& c) : c_(c), start_(c.value()) {}

  std::int64_t now() const { return c_.value() - start_; }

  /// Waits (at most 2 s) until it moved by `n`; how far it moved. Some
  /// counts land after the frame a test waits for (a join's "ok" goes out
  /// before the connection hears of it).
  std::int64_t await(std::int64_t n) const {
    for (int i = 0; i < 200 && now() != n; ++i)
      std::this_thread::sleep_for(10ms);
    return now();
  }

  /// As await, then a grace period in which a count too many would show up.
  std::int64_t settled(std::int64_t n) const {
    await(n);
    std::this_thread::sleep_for(100ms);
    return now();
  }

private:
  const phx::metrics::counter& c_;
  std::int64_t start_;
};

phx::metrics::node_metrics& m() { return phx::metrics::node(); }

std::mutex last_mtx;
caf::actor last_joined; ///< the latest channel actor whose join was accepted

/// Topics say how to join (the part after "t:" or "d:"): "refuse", "throw",
/// "push_refuse" (pushes twice, then refuses), "slow" (200 ms), else ok.
/// With {"refuse_after_restart": true} a restart's join is refused.
/// Events: "crash" throws, "restarts" -> {"n": restarts}, else an echo.
class counted_channel : public phx::channel {
public:
  phx::join_result join(const std::string& topic, const json& params,
                        phx::channel_socket& s) override {
    if (params.value("refuse_after_restart", false) && s.restarts() > 0)
      return phx::join_result::error({{"reason", "no"}});
    auto how = topic.substr(2);
    if (how == "refuse")
      return phx::join_result::error({{"reason", "no"}});
    if (how == "throw")
      throw std::runtime_error("join failed");
    if (how == "push_refuse") {
      s.push("a", json::object());
      s.push("b", json::object());
      return phx::join_result::error({{"reason", "no"}});
    }
    if (how == "slow")
      std::this_thread::sleep_for(200ms);
    std::lock_guard<std::mutex> guard{last_mtx};
    last_joined = s.actor();
    return phx::join_result::ok();
  }

  phx::in_result handle_in(const std::string& event, const json& payload,
                           phx::channel_socket& s) override {
    if (event == "crash")
      throw std::runtime_error("crash requested");
    if (event == "restarts")
      return phx::in_result::ok({{"n", s.restarts()}});
    return phx::in_result::ok(payload);
  }
};

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  phx::pubsub ps{phx::spawn_registry(sys)};
  std::shared_ptr<phx::test::recording_sink> sink = std::make_shared<phx::test::recording_sink>();
  caf::actor conn;

  explicit fixture(std::size_t max_channels = 100) {
    auto routes = std::make_shared<phx::router>();
    routes->channel<counted_channel>("t:*");
    routes->channel<counted_channel>("d:*", phx::restart::transient(3, 5s));
    auto setup = phx::test::v2_connection_setup(sink, std::move(routes), ps);
    setup.limits.max_channels = max_channels;
    conn = phx::spawn_connection(sys, std::move(setup));
  }

  ~fixture() {
    phx::notify_closed(conn);
    caf::anon_send_exit(ps.registry(), caf::exit_reason::user_shutdown);
    std::lock_guard<std::mutex> guard{last_mtx};
    last_joined = nullptr;
  }

  void send(const json& frame) { phx::deliver_frame(conn, frame.dump(), false); }

  // The n-th frame written (1-based), parsed; null when it never came.
  json frame(std::size_t n) {
    auto frames = sink->wait_for(n);
    return frames.size() >= n ? json::parse(*frames[n - 1].bytes) : json{};
  }

  // Sends join `ref` of `topic` and returns its reply's status (frame `n`).
  std::string join(const std::string& topic, const std::string& ref, std::size_t n,
                   json params = json::object()) {
    send({ref, ref, topic, "phx_join", std::move(params)});
    auto reply = frame(n);
    return reply.is_null() ? "none" : reply[4]["status"].get<std::string>();
  }
};

json lifecycle(std::string join_ref, std::string topic, std::string event) {
  auto payload = event == "phx_error" ? json{{"reason", "channel_crash"}} : json::object();
  return json::array({join_ref, std::move(join_ref), std::move(topic), std::move(event),
                      std::move(payload)});
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a join counts joins_ok and one channel, until its leave") {
  since channels{m().channels}, ok{m().joins_ok}, error{m().joins_error}, crash{m().joins_crash};
  REQUIRE(join("t:a", "1", 1) == "ok");
  CHECK(channels.await(1) == 1);
  CHECK(ok.await(1) == 1);
  send({"1", "2", "t:a", "phx_leave", json::object()});
  CHECK(frame(3) == lifecycle("1", "t:a", "phx_close"));
  CHECK(channels.settled(0) == 0);
  CHECK(ok.now() == 1);
  CHECK(error.now() == 0);
  CHECK(crash.now() == 0);
}

TEST_CASE_FIXTURE(fixture, "refused and crashing joins count as such, never as a channel") {
  since channels{m().channels}, ok{m().joins_ok}, error{m().joins_error}, crash{m().joins_crash};
  since dropped{m().held_frames_dropped};
  CHECK(join("t:refuse", "1", 1) == "error");
  CHECK(error.now() == 1); // counted before the refusal goes out
  CHECK(join("t:throw", "2", 2) == "error");
  CHECK(crash.now() == 1);
  // Refused by the engine, before any channel runs.
  CHECK(join("nowhere", "3", 3) == "error");
  CHECK(error.now() == 2);
  // Pushes held for the join's reply die with the refused join.
  CHECK(join("t:push_refuse", "4", 4) == "error");
  CHECK(error.now() == 3);
  CHECK(dropped.now() == 2);
  CHECK(channels.settled(0) == 0);
  CHECK(ok.now() == 0);
  CHECK(crash.now() == 1);
}

TEST_CASE("a join past max_channels counts as refused") {
  fixture f{1};
  since channels{m().channels}, error{m().joins_error};
  REQUIRE(f.join("t:a", "1", 1) == "ok");
  CHECK(f.join("t:b", "2", 2) == "error");
  CHECK(error.now() == 1);
  CHECK(channels.settled(1) == 1);
}

TEST_CASE_FIXTURE(fixture, "a duplicate join replaces the channel: still one") {
  since channels{m().channels}, ok{m().joins_ok};
  REQUIRE(join("t:a", "1", 1) == "ok");
  REQUIRE(channels.await(1) == 1);
  // The new join's reply, then the old instance's phx_close.
  REQUIRE(join("t:a", "2", 2) == "ok");
  CHECK(frame(3) == lifecycle("1", "t:a", "phx_close"));
  CHECK(ok.await(2) == 2);
  CHECK(channels.settled(1) == 1);
  send({"2", "3", "t:a", "phx_leave", json::object()});
  CHECK(frame(5) == lifecycle("2", "t:a", "phx_close"));
  CHECK(channels.settled(0) == 0);
}

TEST_CASE_FIXTURE(fixture, "a crash counts channel_crashes, and a restarted channel stays one") {
  since channels{m().channels}, crashes{m().channel_crashes}, ok{m().joins_ok};
  // Temporary: the crash ends the channel.
  REQUIRE(join("t:a", "1", 1) == "ok");
  REQUIRE(channels.await(1) == 1);
  send({"1", "2", "t:a", "crash", json::object()});
  CHECK(frame(2) == lifecycle("1", "t:a", "phx_error"));
  CHECK(crashes.now() == 1);
  CHECK(channels.settled(0) == 0);
  // Transient: restarted in place, joined all along; its restart's join is
  // not a client's join.
  REQUIRE(join("d:a", "3", 3) == "ok");
  REQUIRE(channels.await(1) == 1);
  send({"3", "4", "d:a", "crash", json::object()});
  send({"3", "5", "d:a", "echo", {{"after", "restart"}}});
  CHECK(frame(4)[4]["response"] == json{{"after", "restart"}});
  CHECK(crashes.now() == 2);
  CHECK(channels.settled(1) == 1);
  CHECK(ok.now() == 2);
  // A restart whose join is refused gives up: the channel ends.
  REQUIRE(join("d:r", "6", 5, {{"refuse_after_restart", true}}) == "ok");
  REQUIRE(channels.await(2) == 2);
  since error{m().joins_error};
  send({"6", "7", "d:r", "crash", json::object()});
  CHECK(frame(6) == lifecycle("6", "d:r", "phx_error"));
  CHECK(crashes.now() == 3);
  CHECK(channels.settled(1) == 1);
  CHECK(error.now() == 0);
}

TEST_CASE_FIXTURE(fixture, "a channel killed from outside and replaced stays one channel") {
  since channels{m().channels}, crashes{m().channel_crashes};
  REQUIRE(join("d:k", "1", 1) == "ok");
  REQUIRE(channels.await(1) == 1);
  caf::actor first;
  {
    std::lock_guard<std::mutex> guard{last_mtx};
    first = last_joined;
  }
  REQUIRE(first);
  caf::anon_send_exit(first, caf::exit_reason::kill);
  // Retried until the fresh server answers (a frame sent to the dying
  // actor may be lost).
  json answer;
  for (int i = 0; i < 100 && answer.is_null(); ++i) {
    auto n = sink->size();
    send({"1", "r", "d:k", "restarts", json::object()});
    auto all = sink->wait_for(n + 1);
    if (all.size() > n && json::parse(*all[n].bytes)[1] == "r")
      answer = json::parse(*all[n].bytes);
    else
      std::this_thread::sleep_for(10ms);
  }
  CHECK(answer[4]["response"] == json{{"n", 1}});
  CHECK(channels.settled(1) == 1);
  CHECK(crashes.now() == 0); // killed: no handler threw
  auto n = sink->size();
  send({"1", "l", "d:k", "phx_leave", json::object()});
  CHECK(frame(n + 2) == lifecycle("1", "d:k", "phx_close"));
  CHECK(channels.settled(0) == 0);
}

TEST_CASE_FIXTURE(fixture, "the connection's end counts its joined channels down, once") {
  since channels{m().channels}, ok{m().joins_ok};
  REQUIRE(join("t:a", "1", 1) == "ok");
  REQUIRE(join("d:b", "2", 2) == "ok");
  REQUIRE(channels.await(2) == 2);
  // One leaving and one joining when the connection ends: only the leaving
  // one was counted, and the slow join never completes for the client.
  send({"2", "3", "d:b", "phx_leave", json::object()});
  send({"4", "4", "t:slow", "phx_join", json::object()});
  phx::notify_closed(conn);
  CHECK(channels.await(0) == 0);
  std::this_thread::sleep_for(300ms); // the slow join ends meanwhile
  CHECK(channels.now() == 0);
  CHECK(ok.now() == 2);
}
