// The socket supervisor and the channel API that speaks CAF, driven through a
// connection actor with a recording sink: restart policies, in-place and
// fresh restarts, typed handlers, request/response both ways.
#include "phx/actors/connection.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include "phx/actors/atoms.hpp"
#include "phx/actors/channel.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/registry.hpp"
#include "recording_sink.hpp"
#include "v2_connection_setup.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(supervisor_test, caf::id_block::phx_actors::end)
  CAF_ADD_ATOM(supervisor_test, sup_test, get_atom, "get")
  CAF_ADD_ATOM(supervisor_test, sup_test, ask_atom, "ask")
  CAF_ADD_ATOM(supervisor_test, sup_test, tick_atom, "tick")
CAF_END_TYPE_ID_BLOCK(supervisor_test)

using namespace std::chrono_literals;
using phx::json;
using sup_test::ask_atom;
using sup_test::get_atom;

namespace {

/// Shared with the channels of one test: the latest channel actor, and the
/// actor they ask.
struct shared_state {
  std::mutex mtx;
  caf::actor last_channel;
  caf::actor last_worker;
  caf::actor oracle;
  std::vector<std::string> terminations;

  caf::actor channel() {
    std::lock_guard<std::mutex> guard{mtx};
    return last_channel;
  }
};

shared_state* state = nullptr;

/// Events: "echo" -> ok payload; "crash" throws; "stop" stops normally;
/// "restarts" -> {"n": restarts}; "ask" requests the oracle and replies with
/// its answer (error on failure); "worker" spawns a linked worker that fails
/// when `fail` is true and otherwise waits; "watch" monitors the oracle.
/// Handlers: (get_atom) -> 40 + restarts; a down message pushes "down".
class supervised_channel : public phx::channel {
public:
  phx::join_result join(const std::string& topic, const json& params,
                        phx::channel_socket& s) override {
    if (params.value("refuse_after_restart", false) && s.restarts() > 0)
      return phx::join_result::error({{"reason", "no"}});
    std::lock_guard<std::mutex> guard{state->mtx};
    state->last_channel = s.actor();
    (void) topic;
    return phx::join_result::ok();
  }

  phx::in_result handle_in(const std::string& event, const json& payload,
                           phx::channel_socket& s) override {
    if (event == "crash")
      throw std::runtime_error("crash requested");
    if (event == "stop")
      return phx::in_result::stop(phx::exit_reason::normal());
    if (event == "restarts")
      return phx::in_result::ok({{"n", s.restarts()}});
    if (event == "ask") {
      s.request(state->oracle, 1s, sup_test::ask_atom_v, payload.value("n", 0))
        .then([ref = s.ref()](int answer) { ref.reply("ok", {{"answer", answer}}); },
              [ref = s.ref()](caf::error& err) {
                ref.reply("error", {{"reason", caf::to_string(err)}});
              });
      return phx::in_result::noreply();
    }
    if (event == "worker") {
      auto worker = s.spawn_linked(
        [](caf::event_based_actor* self, bool fail) -> caf::behavior {
          if (fail)
            self->quit(caf::make_error(caf::sec::runtime_error, "worker failed"));
          return {[](get_atom) {}};
        },
        payload.value("fail", false));
      std::lock_guard<std::mutex> guard{state->mtx};
      state->last_worker = worker;
      return phx::in_result::ok();
    }
    if (event == "watch") {
      s.monitor(state->oracle);
      return phx::in_result::ok();
    }
    return phx::in_result::ok(payload);
  }

  caf::message_handler make_handlers(phx::channel_socket& s) override {
    return {
      [&s](get_atom) { return 40 + static_cast<int>(s.restarts()); },
      [&s](const caf::down_msg&) { s.push("down", json::object()); },
    };
  }

  void terminate(const phx::exit_reason& why, phx::channel_socket&) override {
    std::lock_guard<std::mutex> guard{state->mtx};
    state->terminations.push_back(why.to_string());
  }
};

struct fixture {
  shared_state shared;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  phx::pubsub ps{phx::spawn_registry(sys)};
  std::shared_ptr<phx::test::recording_sink> sink = std::make_shared<phx::test::recording_sink>();
  std::shared_ptr<phx::supervision_counters> counters =
    std::make_shared<phx::supervision_counters>();
  caf::actor conn;

  fixture() {
    state = &shared;
    auto routes = std::make_shared<phx::router>();
    routes->channel<supervised_channel>("t:*");
    routes->channel<supervised_channel>("d:*", phx::restart::transient(3, 5s));
    routes->channel<supervised_channel>("p:*", phx::restart::permanent(3, 5s));
    auto setup = phx::test::v2_connection_setup(sink, routes, ps);
    setup.counters = counters;
    auto info = std::make_shared<phx::connect_info>();
    info->connection_id = 42; // the transport's number for it, in log lines
    setup.base = phx::socket{std::move(info)};
    conn = phx::spawn_connection(sys, std::move(setup));
  }

  ~fixture() {
    phx::notify_closed(conn);
    caf::anon_send_exit(ps.registry(), caf::exit_reason::user_shutdown);
    if (shared.oracle)
      caf::anon_send_exit(shared.oracle, caf::exit_reason::user_shutdown);
  }

  void send(const json& frame) { phx::deliver_frame(conn, frame.dump(), false); }

  // Frames written so far once at least `n` arrived (at most 2 s), parsed.
  std::vector<json> frames(std::size_t n) {
    std::vector<json> out;
    for (auto& f : sink->wait_for(n))
      out.push_back(json::parse(*f.bytes));
    return out;
  }

  json frame(std::size_t n) {
    auto all = frames(n);
    return all.size() >= n ? all[n - 1] : json{};
  }

  // Joins `topic` as join_ref "1" and waits for the reply (frame `n`).
  void join(const std::string& topic, std::size_t n, json params = json::object()) {
    send({"1", "1", topic, "phx_join", std::move(params)});
    REQUIRE(frame(n)[4]["status"] == "ok");
  }
};

json reply(json ref, std::string topic, json response, std::string status = "ok") {
  return json::array({"1", std::move(ref), std::move(topic), "phx_reply",
                      {{"status", std::move(status)}, {"response", std::move(response)}}});
}

json lifecycle(std::string topic, std::string event, json payload = json::object()) {
  return json::array({"1", "1", std::move(topic), std::move(event), std::move(payload)});
}

// Every frame once `n` arrived, after a grace period in which a frame too
// many (a second reply, a stray phx_error) would show up.
std::vector<json> exactly(fixture& f, std::size_t n) {
  auto all = f.frames(n);
  std::this_thread::sleep_for(100ms);
  all = f.frames(n);
  CHECK(all.size() == n);
  return all;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "temporary: a crash tells the client phx_error, nothing restarts") {
  join("t:a", 1);
  send({"1", "2", "t:a", "crash", json::object()});
  CHECK(frame(2) == lifecycle("t:a", "phx_error", {{"reason", "channel_crash"}}));
  CHECK(counters->restarts == 0);
  send({"1", "3", "t:a", "echo", json::object()});
  CHECK(frame(3)[4]["response"] == json{{"reason", "unmatched topic"}});
}

TEST_CASE_FIXTURE(fixture, "transient: crashes restart in place, invisibly, losing only the crashing frame") {
  join("d:a", 1);
  // Each crash is followed at once by a push: it waits in the mailbox and
  // reaches the restarted instance.
  for (int i = 1; i <= 3; ++i) {
    send({"1", "c" + std::to_string(i), "d:a", "crash", json::object()});
    send({"1", "r" + std::to_string(i), "d:a", "restarts", json::object()});
  }
  auto all = exactly(*this, 4);
  REQUIRE(all.size() == 4);
  CHECK(all[1] == reply("r1", "d:a", {{"n", 1}}));
  CHECK(all[2] == reply("r2", "d:a", {{"n", 2}}));
  CHECK(all[3] == reply("r3", "d:a", {{"n", 3}}));
  CHECK(counters->restarts == 3);
  {
    std::lock_guard<std::mutex> guard{shared.mtx};
    CHECK(shared.terminations.size() == 3); // each crashed instance terminated
  }
  // The 4th within the window gives up: phx_error, and the topic is free.
  send({"1", "c4", "d:a", "crash", json::object()});
  CHECK(frame(5) == lifecycle("d:a", "phx_error", {{"reason", "channel_crash"}}));
  CHECK(counters->give_ups == 1);
}

TEST_CASE_FIXTURE(fixture, "log lines about a connection's channels carry its number") {
  std::mutex lines_mtx;
  std::vector<std::string> lines;
  phx::set_log_handler([&](phx::log_level, std::string_view line) {
    std::lock_guard<std::mutex> guard{lines_mtx};
    lines.emplace_back(line);
  });
  join("d:a", 1);
  send({"1", "c1", "d:a", "crash", json::object()});
  send({"1", "r1", "d:a", "restarts", json::object()});
  CHECK(frame(2) == reply("r1", "d:a", {{"n", 1}}));
  send({"1", "j", "nope:a", "phx_join", json::object()});
  frame(3);
  phx::set_log_handler(nullptr);
  std::lock_guard<std::mutex> guard{lines_mtx};
  auto logged = [&](std::string_view text) {
    for (auto& line : lines)
      if (line.rfind("[conn 42] ", 0) == 0 && line.find(text) != std::string::npos)
        return true;
    return false;
  };
  CHECK(logged("channel d:a crashed in handle_in")); // the channel server
  CHECK(logged("channel d:a: restart 1 after"));     // its supervisor
  CHECK(logged("ignoring unmatched topic \"nope:a\"")); // the connection
}

TEST_CASE_FIXTURE(fixture, "a normal stop ends a transient channel and restarts a permanent one") {
  join("d:s", 1);
  send({"1", "2", "d:s", "stop", json::object()});
  CHECK(frame(2) == lifecycle("d:s", "phx_close"));
  join("p:s", 3);
  send({"1", "4", "p:s", "stop", json::object()});
  send({"1", "5", "p:s", "restarts", json::object()});
  CHECK(frame(4) == reply("5", "p:s", {{"n", 1}}));
  // A leave is never restarted, whatever the policy.
  send({"1", "6", "p:s", "phx_leave", json::object()});
  CHECK(frame(5) == reply("6", "p:s", json::object()));
  CHECK(frame(6) == lifecycle("p:s", "phx_close"));
  CHECK(counters->restarts == 1);
}

TEST_CASE_FIXTURE(fixture, "a restart whose join is refused gives up with phx_error") {
  join("d:r", 1, {{"refuse_after_restart", true}});
  send({"1", "2", "d:r", "crash", json::object()});
  CHECK(frame(2) == lifecycle("d:r", "phx_error", {{"reason", "channel_crash"}}));
  CHECK(counters->restarts == 1);
  CHECK(counters->give_ups == 1);
}

TEST_CASE_FIXTURE(fixture, "a channel killed from outside is replaced by a fresh server") {
  join("d:k", 1);
  auto first = shared.channel();
  REQUIRE(first);
  caf::anon_send_exit(first, caf::exit_reason::kill);
  // The connection holds the topic's frames until the new server joined;
  // retry until a frame reaches the new instance (one sent to the dying
  // actor may be lost: that is the documented limit of a kill).
  json answer;
  for (int i = 0; i < 100 && answer.is_null(); ++i) {
    auto n = sink->size();
    send({"1", "r", "d:k", "restarts", json::object()});
    auto all = frames(n + 1);
    if (all.size() > n && all[n][1] == "r")
      answer = all[n];
    else
      std::this_thread::sleep_for(10ms);
  }
  CHECK(answer == reply("r", "d:k", {{"n", 1}}));
  CHECK(shared.channel() != first);
  // Subscribed exactly once.
  auto n = sink->size();
  REQUIRE_FALSE(ps.broadcast("d:k", "news", {{"x", 1}}));
  auto all = exactly(*this, n + 1);
  CHECK(all[n] == json::array({nullptr, nullptr, "d:k", "news", {{"x", 1}}}));
}

TEST_CASE_FIXTURE(fixture, "typed handlers answer requests and unmatched requests get an error") {
  join("d:h", 1);
  caf::scoped_actor self{sys};
  auto channel = shared.channel();
  int got = 0;
  self->request(channel, 2s, sup_test::get_atom_v)
    .receive([&](int x) { got = x; }, [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(got == 40);
  caf::error unmatched;
  self->request(channel, 2s, std::string{"what?"})
    .receive([&](const caf::message&) {}, [&](caf::error& err) { unmatched = err; });
  CHECK(unmatched == caf::sec::unexpected_message);
  // After a restart the same actor answers, from the new instance.
  send({"1", "2", "d:h", "crash", json::object()});
  send({"1", "3", "d:h", "restarts", json::object()});
  CHECK(frame(2) == reply("3", "d:h", {{"n", 1}}));
  self->request(channel, 2s, sup_test::get_atom_v)
    .receive([&](int x) { got = x; }, [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(got == 41);
}

TEST_CASE_FIXTURE(fixture, "a channel's request gets its answer, or its error on a timeout") {
  shared.oracle = sys.spawn(
    [](caf::event_based_actor* self, int factor) -> caf::behavior {
      return {
        [self, factor](ask_atom, int n) -> caf::result<int> {
          if (n < 0)
            return self->make_response_promise<int>(); // dropped: never answered
          return n * factor;
        },
      };
    },
    2);
  join("t:q", 1);
  send({"1", "2", "t:q", "ask", {{"n", 21}}});
  CHECK(frame(2) == reply("2", "t:q", {{"answer", 42}}));
  send({"1", "3", "t:q", "ask", {{"n", -1}}});
  auto timed_out = frame(3);
  CHECK(timed_out[4]["status"] == "error");
  CHECK(timed_out[4]["response"]["reason"].get<std::string>().find("timeout") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a request of a crashed instance is not answered to its successor") {
  // The oracle answers after 200 ms; the channel crashes meanwhile.
  using pending = std::vector<std::pair<caf::response_promise, int>>;
  auto oracle = [](caf::stateful_actor<pending>* self, caf::timespan delay) -> caf::behavior {
    return {
      [self, delay](ask_atom, int n) {
        auto promise = self->make_response_promise();
        self->state.emplace_back(promise, n);
        self->delayed_send(self, delay, sup_test::tick_atom_v);
        return promise;
      },
      [self](sup_test::tick_atom) {
        if (self->state.empty())
          return;
        auto [promise, n] = self->state.front();
        self->state.erase(self->state.begin());
        promise.deliver(n);
      },
    };
  };
  shared.oracle = sys.spawn(oracle, caf::timespan{200ms});
  join("d:q", 1);
  send({"1", "2", "d:q", "ask", {{"n", 1}}});
  send({"1", "3", "d:q", "crash", json::object()});
  send({"1", "4", "d:q", "ask", {{"n", 2}}});
  // Only the successor's request is answered; the first answer is dropped.
  CHECK(frame(2) == reply("4", "d:q", {{"answer", 2}}));
  std::this_thread::sleep_for(300ms); // past both answers
  CHECK(exactly(*this, 2).size() == 2);
}

TEST_CASE_FIXTURE(fixture, "siblings and the connection survive every crash and closing ends all") {
  join("d:x", 1);
  send({"2", "2", "t:y", "phx_join", json::object()});
  frame(2);
  for (int i = 0; i < 4; ++i) // 3 restarts, then give up
    send({"1", "c", "d:x", "crash", json::object()});
  send({"2", "e", "t:y", "echo", {{"alive", true}}});
  auto all = exactly(*this, 4);
  bool sibling_answered = false, gave_up = false;
  for (auto& f : all) {
    sibling_answered |= f == json::array({"2", "e", "t:y", "phx_reply",
                                          {{"status", "ok"}, {"response", {{"alive", true}}}}});
    gave_up |= f == lifecycle("d:x", "phx_error", {{"reason", "channel_crash"}});
  }
  CHECK(sibling_answered);
  CHECK(gave_up);
  phx::notify_closed(conn);
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard<std::mutex> guard{shared.mtx};
    closed = shared.terminations.back() == "shutdown: closed";
  }
  CHECK(closed); // t:y terminated by the supervisor's shutdown
}

TEST_CASE_FIXTURE(fixture, "a failing linked worker crashes its channel and a restart stops the old workers") {
  join("d:w", 1);
  send({"1", "2", "d:w", "worker", {{"fail", true}}});
  CHECK(frame(2) == reply("2", "d:w", json::object()));
  // The worker's failure reaches the channel as an exit message, later.
  for (int i = 0; i < 200 && counters->restarts == 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(counters->restarts == 1);
  send({"1", "3", "d:w", "restarts", json::object()});
  CHECK(frame(3) == reply("3", "d:w", {{"n", 1}}));
  // A waiting worker of the crashed instance is stopped by the restart.
  send({"1", "4", "d:w", "worker", {{"fail", false}}});
  CHECK(frame(4) == reply("4", "d:w", json::object()));
  caf::actor worker;
  {
    std::lock_guard<std::mutex> guard{shared.mtx};
    worker = shared.last_worker;
  }
  REQUIRE(worker);
  caf::scoped_actor self{sys};
  self->monitor(worker);
  send({"1", "5", "d:w", "crash", json::object()});
  bool down = false;
  self->receive([&](const caf::down_msg& msg) { down = msg.source == worker.address(); },
                caf::after(2s) >> [] {});
  CHECK(down);
}

TEST_CASE_FIXTURE(fixture, "a monitored actor's end reaches the channel's handlers") {
  shared.oracle = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](get_atom) {}};
  }, 0);
  join("t:m", 1);
  send({"1", "2", "t:m", "watch", json::object()});
  CHECK(frame(2) == reply("2", "t:m", json::object()));
  caf::anon_send_exit(shared.oracle, caf::exit_reason::user_shutdown);
  CHECK(frame(3) == json::array({"1", nullptr, "t:m", "down", json::object()}));
}
