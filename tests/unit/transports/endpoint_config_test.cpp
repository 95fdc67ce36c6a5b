#include "phx/transports/endpoint_config.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace {

phx::endpoint_config parse(std::vector<std::string> args,
                           const std::vector<phx::cli_option>& extra = {}) {
  args.insert(args.begin(), "app");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return phx::endpoint_config::from_args(static_cast<int>(argv.size()), argv.data(), extra);
}

} // namespace

TEST_CASE("endpoint options: defaults, both spellings, and the flow-control limits") {
  auto defaults = parse({});
  CHECK(defaults.port == 4000);
  CHECK(defaults.max_held_frames == 1000);
  CHECK(defaults.max_frames_in_flight == 256);
  auto cfg = parse({"--port=0", "--max-held-frames", "7", "--max-frames-in-flight=9",
                    "--max-outbound-bytes", "2048"});
  CHECK(cfg.port == 0);
  CHECK(cfg.max_held_frames == 7);
  CHECK(cfg.max_frames_in_flight == 9);
  CHECK(cfg.max_outbound_bytes == 2048);
}

TEST_CASE("endpoint options: JSON depth, request timeout, origin check, broadcast key") {
  auto defaults = parse({});
  CHECK(defaults.max_json_depth == 64);
  CHECK(defaults.request_timeout == std::chrono::milliseconds{10000});
  CHECK(defaults.check_origin == "host");
  CHECK(defaults.broadcast_api_key.empty());
  auto cfg = parse({"--max-json-depth", "12", "--request-timeout-ms=2500",
                    "--check-origin", "//example.com, https://*.example.org:8443",
                    "--broadcast-api-key=s3cr3t"});
  CHECK(cfg.max_json_depth == 12);
  CHECK(cfg.request_timeout == std::chrono::milliseconds{2500});
  CHECK(cfg.check_origin == "//example.com, https://*.example.org:8443");
  CHECK(cfg.broadcast_api_key == "s3cr3t");
  CHECK(parse({"--check-origin=off"}).check_origin == "off");
  CHECK(parse({"--check-origin", "host"}).check_origin == "host");
  CHECK(parse({"--max-json-depth=1"}).max_json_depth == 1);
  CHECK(parse({"--broadcast-api-key=k=v"}).broadcast_api_key == "k=v");
  // Other options keep their defaults.
  CHECK(cfg.port == 4000);
  CHECK(cfg.idle_timeout == std::chrono::milliseconds{60000});
}

TEST_CASE("endpoint options: the long-poll window and secret, and an app's flags and values") {
  auto defaults = parse({});
  CHECK(defaults.longpoll_window == std::chrono::milliseconds{10000});
  CHECK(defaults.secret_key_base.empty());
  CHECK(defaults.max_longpoll_sessions == 20000);
  CHECK(parse({"--max-longpoll-sessions=5"}).max_longpoll_sessions == 5);
  std::string secret(40, 's');
  bool only_longpoll = false;
  bool other_flag = false;
  std::string www = "www";
  auto cfg = parse({"--longpoll-window-ms=250", "--no-websocket", "--secret-key-base", secret,
                    "--www", "public"},
                   {{"no-websocket", "flag", nullptr, &only_longpoll},
                    {"other", "flag", nullptr, &other_flag},
                    {"www", "value", &www}});
  CHECK(cfg.longpoll_window == std::chrono::milliseconds{250});
  CHECK(cfg.secret_key_base == secret);
  CHECK(only_longpoll);
  CHECK_FALSE(other_flag); // a flag not given stays false
  CHECK(www == "public");
  // A flag takes no value: what follows it is the next option.
  bool flag = false;
  auto next = parse({"--no-websocket", "--port", "7"}, {{"no-websocket", "f", nullptr, &flag}});
  CHECK(flag);
  CHECK(next.port == 7);
}

TEST_CASE("endpoint options: a cluster node, its peers, secret and bounds") {
  auto single = parse({});
  CHECK_FALSE(single.cluster.enabled());
  CHECK(single.cluster.node_host == "127.0.0.1");
  CHECK(single.cluster.node_timeout == std::chrono::milliseconds{5000});
  auto cfg = parse({"--node-port", "4100", "--peers=127.0.0.1:4101,127.0.0.1:4102",
                    "--cluster-secret", "s3cret", "--node-timeout-ms=750",
                    "--node-queue-bytes", "100000", "--node-name", "node-a"});
  CHECK(cfg.cluster.enabled());
  CHECK(cfg.cluster.node_port == 4100);
  REQUIRE(cfg.cluster.peers.size() == 2);
  CHECK(cfg.cluster.peers[1].text() == "127.0.0.1:4102");
  CHECK(cfg.cluster.secret == "s3cret");
  CHECK(cfg.cluster.node_timeout == std::chrono::milliseconds{750});
  CHECK(cfg.cluster.peer_queue_bytes == 100000);
  CHECK(cfg.cluster.name() == "node-a");
}

TEST_CASE("endpoint options: presence periods, Phoenix's defaults unless given") {
  auto defaults = parse({});
  CHECK(defaults.presence.broadcast_every == std::chrono::milliseconds{1500});
  CHECK(defaults.presence.down_after == std::chrono::milliseconds{30000});
  CHECK(defaults.presence.permdown_after == std::chrono::milliseconds{20 * 60 * 1000});
  CHECK(defaults.presence.diff_every == std::chrono::milliseconds{20});
  auto cfg = parse({"--presence-broadcast-ms", "300", "--presence-down-ms=3000",
                    "--presence-permdown-ms", "60000", "--presence-diff-ms", "0"});
  CHECK(cfg.presence.broadcast_every == std::chrono::milliseconds{300});
  CHECK(cfg.presence.down_after == std::chrono::milliseconds{3000});
  CHECK(cfg.presence.permdown_after == std::chrono::milliseconds{60000});
  CHECK(cfg.presence.diff_every == std::chrono::milliseconds{0});
}
