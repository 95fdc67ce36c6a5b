#include "phx/actors/connection.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include "phx/pubsub/registry.hpp"
#include "recording_sink.hpp"
#include "v2_connection_setup.hpp"

using namespace std::chrono_literals;
using phx::json;

namespace {

/// What terminate saw, across channel instances.
struct terminations {
  std::mutex mtx;
  std::vector<std::string> reasons;

  void add(std::string reason) {
    std::lock_guard<std::mutex> guard{mtx};
    reasons.push_back(std::move(reason));
  }
  // Waits (at most 2 s) until `n` terminations were seen.
  std::vector<std::string> wait_for(std::size_t n) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard<std::mutex> guard{mtx};
        if (reasons.size() >= n)
          return reasons;
      }
      std::this_thread::sleep_for(10ms);
    }
    std::lock_guard<std::mutex> guard{mtx};
    return reasons;
  }
};

terminations* seen = nullptr;

/// Topics say how to join: "t:refuse", "t:throw", "t:slow" (100 ms), else ok.
class test_channel : public phx::channel {
public:
  phx::join_result join(const std::string& topic, const json&, phx::channel_socket&) override {
    if (topic == "t:refuse")
      return phx::join_result::error({{"reason", "no"}});
    if (topic == "t:throw")
      throw std::runtime_error("join failed");
    if (topic == "t:slow")
      std::this_thread::sleep_for(100ms);
    return phx::join_result::ok();
  }
  phx::in_result handle_in(const std::string& event, const json& payload, phx::channel_socket&) override {
    if (event == "crash")
      throw std::runtime_error("crash requested");
    if (event == "stop")
      return phx::in_result::stop(phx::exit_reason::normal(), "ok", {{"bye", true}});
    return phx::in_result::ok(payload);
  }
  void terminate(const phx::exit_reason& why, phx::channel_socket&) override {
    seen->add(why.to_string());
  }
};

struct fixture {
  // First member, last destroyed: the system's destructor waits for the
  // channels, whose terminate still records here.
  terminations terms;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  phx::pubsub ps{phx::spawn_registry(sys)};
  std::shared_ptr<phx::test::recording_sink> sink = std::make_shared<phx::test::recording_sink>();
  caf::actor conn;

  explicit fixture(std::size_t max_channels = 100, std::optional<std::string> id = {}) {
    seen = &terms;
    auto routes = std::make_shared<phx::router>();
    routes->channel<test_channel>("t:*");
    auto setup = setup_for(std::move(routes));
    setup.limits.max_channels = max_channels;
    setup.id = std::move(id);
    conn = phx::spawn_connection(sys, std::move(setup));
  }

  phx::connection_setup setup_for(std::shared_ptr<const phx::router> routes) {
    return phx::test::v2_connection_setup(sink, std::move(routes), ps);
  }

  ~fixture() {
    phx::notify_closed(conn);
    caf::anon_send_exit(ps.registry(), caf::exit_reason::user_shutdown);
  }

  void send(const json& frame) { phx::deliver_frame(conn, frame.dump(), false); }

  // The n-th frame written (1-based), parsed; null when it never came.
  json frame(std::size_t n) {
    auto frames = sink->wait_for(n);
    return frames.size() >= n ? json::parse(*frames[n - 1].bytes) : json{};
  }
};

json reply(json jr, json ref, std::string topic, std::string status, json response) {
  return json::array({std::move(jr), std::move(ref), std::move(topic), "phx_reply",
                      {{"status", std::move(status)}, {"response", std::move(response)}}});
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a join that throws gets join crashed, and the topic stays free") {
  send({"1", "1", "t:throw", "phx_join", json::object()});
  CHECK(frame(1) == reply("1", "1", "t:throw", "error", {{"reason", "join crashed"}}));
  send({"1", "2", "t:throw", "ping", json::object()});
  CHECK(frame(2) == reply(nullptr, "2", "t:throw", "error", {{"reason", "unmatched topic"}}));
}

TEST_CASE_FIXTURE(fixture, "frames sent during a join wait for it, then reach the new channel") {
  send({"1", "1", "t:slow", "phx_join", json::object()});
  send({"1", "2", "t:slow", "echo", {{"n", 1}}});
  send({"1", "3", "t:slow", "echo", {{"n", 2}}});
  CHECK(frame(1) == reply("1", "1", "t:slow", "ok", json::object()));
  CHECK(frame(2) == reply("1", "2", "t:slow", "ok", {{"n", 1}}));
  CHECK(frame(3) == reply("1", "3", "t:slow", "ok", {{"n", 2}}));
}

TEST_CASE_FIXTURE(fixture, "frames held for a refused join are answered unmatched topic") {
  send({"1", "1", "t:refuse", "phx_join", json::object()});
  send({"1", "2", "t:refuse", "echo", json::object()});
  CHECK(frame(1) == reply("1", "1", "t:refuse", "error", {{"reason", "no"}}));
  CHECK(frame(2) == reply(nullptr, "2", "t:refuse", "error", {{"reason", "unmatched topic"}}));
}

TEST_CASE("joins past max_channels are refused") {
  fixture f{2};
  f.send({"1", "1", "t:a", "phx_join", json::object()});
  f.send({"2", "2", "t:b", "phx_join", json::object()});
  f.send({"3", "3", "t:c", "phx_join", json::object()});
  // Replies of different topics may come in any order: sort them by ref.
  std::map<std::string, json> by_ref;
  for (std::size_t i = 1; i <= 3; ++i) {
    auto r = f.frame(i);
    by_ref[r[1].get<std::string>()] = r;
  }
  CHECK(by_ref["1"][4]["status"] == "ok");
  CHECK(by_ref["2"][4]["status"] == "ok");
  CHECK(by_ref["3"] == reply("3", "3", "t:c", "error", {{"reason", "too many channels joined"}}));
}

TEST_CASE_FIXTURE(fixture, "leave replies ok, terminates with shutdown left, then phx_close") {
  send({"1", "1", "t:a", "phx_join", json::object()});
  send({"1", "2", "t:a", "phx_leave", json::object()});
  CHECK(frame(2) == reply("1", "2", "t:a", "ok", json::object()));
  CHECK(frame(3) == json::array({"1", "1", "t:a", "phx_close", json::object()}));
  CHECK(terms.wait_for(1) == std::vector<std::string>{"shutdown: left"});
}

TEST_CASE_FIXTURE(fixture, "stop with a reply: the reply, then phx_close") {
  send({"1", "1", "t:a", "phx_join", json::object()});
  send({"1", "2", "t:a", "stop", json::object()});
  CHECK(frame(2) == reply("1", "2", "t:a", "ok", {{"bye", true}}));
  CHECK(frame(3) == json::array({"1", "1", "t:a", "phx_close", json::object()}));
  CHECK(terms.wait_for(1) == std::vector<std::string>{"normal"});
}

TEST_CASE_FIXTURE(fixture, "a crash sends phx_error for that channel only, after terminate") {
  send({"1", "1", "t:a", "phx_join", json::object()});
  send({"2", "2", "t:b", "phx_join", json::object()});
  frame(2); // both joined
  send({"1", "3", "t:a", "crash", json::object()});
  CHECK(frame(3) == json::array({"1", "1", "t:a", "phx_error", {{"reason", "channel_crash"}}}));
  send({"2", "4", "t:b", "echo", {{"still", "here"}}});
  CHECK(frame(4) == reply("2", "4", "t:b", "ok", {{"still", "here"}}));
  CHECK(terms.wait_for(1) == std::vector<std::string>{"error: crash requested"});
}

TEST_CASE_FIXTURE(fixture, "closing the connection terminates every channel with shutdown closed") {
  send({"1", "1", "t:a", "phx_join", json::object()});
  send({"2", "2", "t:b", "phx_join", json::object()});
  frame(2);
  phx::notify_closed(conn);
  CHECK(terms.wait_for(2) == std::vector<std::string>{"shutdown: closed", "shutdown: closed"});
}

TEST_CASE_FIXTURE(fixture, "a frame that does not decode closes the connection with 1007") {
  phx::deliver_frame(conn, "{not json", false);
  auto closed = sink->wait_for_close();
  REQUIRE(closed);
  CHECK(closed->first == phx::close_code::invalid_payload);
}

TEST_CASE("\"disconnect\" on the socket id topic closes with 1001") {
  fixture f{100, std::string{"users_socket:7"}};
  // The connection subscribes when it starts: retry until the broadcast lands.
  std::optional<std::pair<phx::close_code, std::string>> closed;
  for (int i = 0; i < 20 && !closed; ++i) {
    REQUIRE_FALSE(f.ps.broadcast("users_socket:7", "disconnect", json::object()));
    closed = f.sink->wait_for_close();
  }
  REQUIRE(closed);
  CHECK(closed->first == phx::close_code::going_away);
}

namespace {

// Every frame written so far, parsed, once at least `n` arrived (at most 2 s).
std::vector<json> frames_after(phx::test::recording_sink& sink, std::size_t n) {
  std::vector<json> out;
  for (auto& f : sink.wait_for(n))
    out.push_back(json::parse(*f.bytes));
  return out;
}

// A value nesting `depth` objects: {"k":{"k":{}}} for 3.
json nested_objects(std::size_t depth) {
  std::string text;
  for (std::size_t i = 1; i < depth; ++i)
    text += R"({"k":)";
  text += "{}" + std::string(depth - 1, '}');
  return json::parse(text);
}

} // namespace

TEST_CASE_FIXTURE(fixture, "pipelined join/leave pairs of one topic are answered in order") {
  constexpr std::size_t n = 50;
  for (std::size_t i = 0; i < n; ++i) {
    auto jr = "j" + std::to_string(i);
    send({jr, jr, "t:a", "phx_join", json::object()});
    send({jr, "l" + std::to_string(i), "t:a", "phx_leave", json::object()});
  }
  auto frames = frames_after(*sink, 3 * n);
  REQUIRE(frames.size() >= 3 * n);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    auto jr = "j" + std::to_string(i);
    CHECK(frames[3 * i] == reply(jr, jr, "t:a", "ok", json::object()));
    CHECK(frames[3 * i + 1] == reply(jr, "l" + std::to_string(i), "t:a", "ok", json::object()));
    CHECK(frames[3 * i + 2] == json::array({jr, jr, "t:a", "phx_close", json::object()}));
  }
  // Nothing more: a heartbeat's reply is the next frame.
  send({nullptr, "hb", "phoenix", "heartbeat", json::object()});
  frames = frames_after(*sink, 3 * n + 1);
  REQUIRE(frames.size() == 3 * n + 1);
  CHECK(frames.back() == reply(nullptr, "hb", "phoenix", "ok", json::object()));
  CHECK(terms.wait_for(n).size() == n);
}

TEST_CASE_FIXTURE(fixture, "pipelined join/crash pairs: each instance ends exactly once, in order") {
  constexpr std::size_t n = 20;
  for (std::size_t i = 0; i < n; ++i) {
    auto jr = "j" + std::to_string(i);
    send({jr, jr, "t:b", "phx_join", json::object()});
    send({jr, "c" + std::to_string(i), "t:b", "crash", json::object()});
  }
  auto frames = frames_after(*sink, 2 * n);
  REQUIRE(frames.size() >= 2 * n);
  // Give a stray late frame the chance to show: the heartbeat reply comes
  // after everything the connection wrote before it.
  send({nullptr, "hb", "phoenix", "heartbeat", json::object()});
  frames = frames_after(*sink, 2 * n + 1);
  REQUIRE(frames.size() == 2 * n + 1);
  CHECK(frames.back() == reply(nullptr, "hb", "phoenix", "ok", json::object()));
  frames.pop_back();
  std::vector<std::string> oks, ends;
  std::map<std::string, std::size_t> ok_at, end_at;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    auto& f = frames[k];
    CAPTURE(f.dump());
    REQUIRE(f.is_array());
    REQUIRE(f.size() == 5);
    CHECK(f[2] == "t:b");
    if (f[3] == "phx_reply") {
      CHECK(f[4] == json{{"status", "ok"}, {"response", json::object()}});
      CHECK(f[0] == f[1]); // the join's reply: ref jN, join_ref jN
      oks.push_back(f[0].get<std::string>());
      ok_at[oks.back()] = k;
    } else {
      CHECK((f[3] == "phx_close" || f[3] == "phx_error"));
      CHECK(f[0] == f[1]);
      ends.push_back(f[0].get<std::string>());
      end_at[ends.back()] = k;
    }
  }
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < n; ++i)
    expected.push_back("j" + std::to_string(i));
  CHECK(oks == expected);
  CHECK(ends == expected);
  for (auto& jr : expected) {
    CAPTURE(jr);
    CHECK(ok_at[jr] < end_at[jr]);
  }
}

TEST_CASE_FIXTURE(fixture, "join params nesting max_json_depth levels are accepted") {
  send({"1", "1", "t:a", "phx_join", nested_objects(64)});
  CHECK(frame(1) == reply("1", "1", "t:a", "ok", json::object()));
}

TEST_CASE_FIXTURE(fixture, "join params nesting one level past max_json_depth close with 1007") {
  send({"1", "1", "t:a", "phx_join", nested_objects(65)});
  auto closed = sink->wait_for_close();
  REQUIRE(closed);
  CHECK(closed->first == phx::close_code::invalid_payload);
  CHECK(closed->second.find("deeper") != std::string::npos);
  CHECK(sink->wait_for(0).empty()); // no join reply
}

TEST_CASE_FIXTURE(fixture, "a route narrowed to another transport answers as an unmatched topic") {
  auto routes = std::make_shared<phx::router>();
  routes->channel<test_channel>("lp:*").via({phx::transport::longpoll});
  routes->channel<test_channel>("any:*");
  auto setup = setup_for(routes);
  setup.transport = phx::transport::websocket;
  auto other = phx::spawn_connection(sys, std::move(setup));
  phx::deliver_frame(other, json{"1", "1", "lp:a", "phx_join", json::object()}.dump(), false);
  CHECK(frame(1) == reply(nullptr, "1", "lp:a", "error", {{"reason", "unmatched topic"}}));
  phx::deliver_frame(other, json{"2", "2", "any:a", "phx_join", json::object()}.dump(), false);
  CHECK(frame(2) == reply("2", "2", "any:a", "ok", json::object()));
  phx::notify_closed(other);
}
