// The long-poll transport in one process: a real endpoint on a loopback
// port, driven by HTTP requests, with the registry and the channels checked
// from inside (what a client cannot see: no subscriber or channel is left
// behind by a session that ends).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include "phx/phx.hpp"

using namespace std::chrono_literals;
using phx::json;

namespace {

namespace http = boost::beast::http;
namespace net = boost::asio;

std::atomic<int> terminated{0};

class quiet_channel : public phx::channel {
public:
  phx::join_result join(const std::string&, const json&, phx::channel_socket&) override {
    return phx::join_result::ok();
  }
  void terminate(const phx::exit_reason&, phx::channel_socket&) override { ++terminated; }
};

class lp_socket : public phx::socket_handler {
public:
  void routes(phx::router& r) override { r.channel<quiet_channel>("room:*"); }
};

struct answer {
  unsigned status = 0; ///< HTTP status
  json body;           ///< parsed JSON body (null when empty)
};

// One request on a fresh connection; status 0 when no answer came within 5 s
// (asynchronous, so that the stream's expiry bounds every step).
answer call(std::uint16_t port, http::verb method, const std::string& target,
            const std::string& body = {}) {
  net::io_context ioc;
  boost::beast::tcp_stream stream{ioc};
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!body.empty()) {
    req.set(http::field::content_type, "application/x-ndjson");
    req.body() = body;
  }
  req.prepare_payload();
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  answer out;
  stream.expires_after(5s);
  stream.async_connect(
    net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
    [&](boost::beast::error_code ec) {
      if (ec)
        return;
      http::async_write(stream, req, [&](boost::beast::error_code write_ec, std::size_t) {
        if (write_ec)
          return;
        http::async_read(stream, buffer, res, [&](boost::beast::error_code read_ec, std::size_t) {
          if (read_ec)
            return;
          out.status = res.result_int();
          if (!res.body().empty())
            out.body = json::parse(res.body());
        });
      });
    });
  ioc.run();
  return out;
}

struct fixture {
  phx::endpoint_config cfg = [] {
    phx::endpoint_config c;
    c.port = 0;
    c.longpoll_window = 200ms;
    c.secret_key_base = std::string(40, 'k');
    c.log_level = "error";
    return c;
  }();
  std::unique_ptr<phx::endpoint> ep;
  std::uint16_t port = 0;

  fixture() { start(); }

  void start() {
    terminated = 0;
    ep = std::make_unique<phx::endpoint>(cfg);
    ep->socket<lp_socket>("/socket");
    port = ep->start();
  }

  std::string open_session() {
    auto a = call(port, http::verb::get, "/socket/longpoll?vsn=2.0.0");
    REQUIRE(a.body["status"] == 410);
    return a.body["token"].get<std::string>();
  }

  std::string target(const std::string& token) {
    return "/socket/longpoll?vsn=2.0.0&token=" + token;
  }

  std::size_t subscribers(const std::string& topic) {
    caf::scoped_actor self{ep->system()};
    std::size_t n = 9999;
    self->request(ep->pubsub().registry(), 2s, phx::count_atom_v, topic)
      .receive([&](std::size_t count) { n = count; }, [](caf::error&) {});
    return n;
  }

  // Waits (bounded) until `topic` has `n` subscribers.
  bool await_subscribers(const std::string& topic, std::size_t n) {
    for (int i = 0; i < 300; ++i) {
      if (subscribers(topic) == n)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // Opens a session and joins `topic`; returns the token.
  std::string joined(const std::string& topic) {
    auto token = open_session();
    auto posted = call(port, http::verb::post, target(token),
                       R"(["1","1",")" + topic + R"(","phx_join",{}])");
    REQUIRE(posted.body["status"] == 200);
    auto polled = call(port, http::verb::get, target(token));
    REQUIRE(polled.body["status"] == 200);
    REQUIRE(polled.body["messages"].size() == 1);
    CHECK(json::parse(polled.body["messages"][0].get<std::string>())[3] == "phx_reply");
    return token;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a session nobody polls ends: its channel terminates, its subscription goes") {
  auto token = joined("room:expiry");
  CHECK(subscribers("room:expiry") == 1);
  // No poll for 1.5 windows (300 ms); checked every 1.5 windows.
  CHECK(await_subscribers("room:expiry", 0));
  CHECK(terminated == 1);
  // Its token now opens a new session.
  auto again = call(port, http::verb::get, target(token));
  CHECK(again.body["status"] == 410);
  CHECK(again.body["token"] != token);
}

TEST_CASE_FIXTURE(fixture, "a session that keeps polling lives past the window") {
  auto token = joined("room:alive");
  for (int i = 0; i < 4; ++i) { // 4 windows of 200 ms, each one a 204
    auto polled = call(port, http::verb::get, target(token));
    CHECK(polled.body["status"] == 204);
  }
  CHECK(subscribers("room:alive") == 1);
  CHECK(terminated == 0);
}

TEST_CASE_FIXTURE(fixture, "past the outbound bound the session ends instead of buffering") {
  cfg.max_outbound_bytes = 4096;
  start();
  auto token = joined("room:flood");
  for (int i = 0; i < 100; ++i) // ~100 bytes each: past 4 KB with the floor
    CHECK_FALSE(ep->broadcast("room:flood", "shout", json{{"n", i}}));
  CHECK(await_subscribers("room:flood", 0));
  CHECK(terminated == 1);
  auto polled = call(port, http::verb::get, target(token));
  CHECK(polled.body["status"] == 410);
  CHECK_FALSE(polled.body.contains("token")); // "gone", not a new session
}

TEST_CASE_FIXTURE(fixture, "stopping the endpoint answers a waiting poll and terminates channels") {
  cfg.longpoll_window = 10s;
  start();
  auto token = joined("room:stop");
  std::thread poller{[&] {
    auto polled = call(port, http::verb::get, target(token));
    CHECK(polled.status == 200);
    CHECK(polled.body["status"] == 410);
  }};
  std::this_thread::sleep_for(500ms); // the poll waits now (its window is 10 s)
  auto began = std::chrono::steady_clock::now();
  ep->stop();
  poller.join();
  CHECK(std::chrono::steady_clock::now() - began < 5s);
  CHECK(terminated == 1);
}
