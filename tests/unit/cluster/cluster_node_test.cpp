// Two and three cluster nodes in one process (each its own actor system and
// middleman, on real loopback ports): what cluster_node::peers() reports, and
// that a broadcast crosses once and is fanned out by the other node's
// registry. The multi-process behaviour (kill, stop, restart) is in
// tests/cluster.
#include "phx/cluster/cluster_node.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include "phx/pubsub/atoms.hpp"
#include "phx/pubsub/pubsub.hpp"
#include "phx/pubsub/registry.hpp"
#include "idle_actor.hpp"
#include "recording_sink.hpp"

using namespace std::chrono_literals;
using phx::json;
using phx::peer_info;
using phx::peer_state;

namespace {

// A port the kernel just gave out and took back: free for the node to bind.
std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

using idle_subscriber = phx::test::idle_actor;

/// One node: an actor system with the middleman, a registry, a cluster_node.
struct test_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  phx::pubsub ps;
  std::unique_ptr<phx::cluster_node> node;

  test_node(std::uint16_t port, std::vector<std::uint16_t> peers, std::string secret) {
    phx::cluster_node::configure(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    ps = phx::pubsub{phx::spawn_registry(*sys)};
    phx::cluster_config c;
    c.node_port = port;
    c.secret = std::move(secret);
    c.node_timeout = 1000ms;
    for (auto p : peers)
      c.peers.push_back(phx::peer_address{"127.0.0.1", p});
    node = std::make_unique<phx::cluster_node>(*sys, ps, c);
    node->start();
  }

  ~test_node() {
    node.reset();
    caf::anon_send_exit(ps.registry(), caf::exit_reason::user_shutdown);
  }

  std::optional<peer_info> peer(const std::string& name) const {
    for (auto& p : node->peers())
      if (p.name == name)
        return p;
    return std::nullopt;
  }
};

std::string name_of(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

// Polls `check` for up to 5 s.
bool eventually(const std::function<bool()>& check) {
  for (int i = 0; i < 250; ++i) {
    if (check())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

bool is_up(const test_node& n, std::uint16_t peer_port) {
  auto p = n.peer(name_of(peer_port));
  return p && p->state == peer_state::up;
}

} // namespace

TEST_CASE("two nodes: peers() shows each other up, a broadcast crosses once and is counted") {
  auto pa = free_port(), pb = free_port();
  test_node a{pa, {}, "a shared secret"};
  test_node b{pb, {pa}, "a shared secret"};
  REQUIRE(eventually([&] { return is_up(a, pb) && is_up(b, pa); }));
  CHECK(b.peer(name_of(pa))->dialed);       // b lists a
  CHECK_FALSE(a.peer(name_of(pb))->dialed); // a accepted b without listing it
  CHECK(a.peer(name_of(pb))->last_seen.time_since_epoch().count() > 0);

  // Two subscribers on b: the broadcast crosses once, b's registry fans out.
  auto s1 = b.sys->spawn<idle_subscriber>(), s2 = b.sys->spawn<idle_subscriber>();
  auto k1 = std::make_shared<phx::test::recording_sink>();
  auto k2 = std::make_shared<phx::test::recording_sink>();
  b.ps.subscribe("room:1", phx::subscription{s1, k1, &phx::v2_json_serializer(), nullptr});
  b.ps.subscribe("room:1", phx::subscription{s2, k2, &phx::v2_json_serializer(), nullptr});
  REQUIRE(eventually([&] {
    caf::scoped_actor self{*b.sys};
    size_t n = 0;
    self->request(b.ps.registry(), 1s, phx::count_atom_v, std::string{"room:1"})
      .receive([&](size_t x) { n = x; }, [](caf::error&) {});
    return n == 2;
  }));
  REQUIRE_FALSE(a.ps.broadcast("room:1", "shout", json{{"n", 1}}));
  REQUIRE_FALSE(a.ps.local_broadcast("room:1", "shout", json{{"n", 2}})); // stays on a
  auto got = k1->wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(json::parse(*got[0].bytes) == json{nullptr, nullptr, "room:1", "shout", {{"n", 1}}});
  CHECK(k2->wait_for(1).size() == 1);
  REQUIRE(eventually([&] { return b.peer(name_of(pa))->broadcasts_received == 1; }));
  auto sent = a.peer(name_of(pb));
  CHECK(sent->broadcasts_sent == 1);
  CHECK(sent->bytes_sent == b.peer(name_of(pa))->bytes_received);
  CHECK(sent->broadcasts_dropped == 0);
  std::this_thread::sleep_for(100ms);
  CHECK(k1->size() == 1); // the local broadcast did not cross
  caf::anon_send_exit(s1, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(s2, caf::exit_reason::user_shutdown);
}

TEST_CASE("a node with another secret never comes up, and the others stay up") {
  auto pa = free_port(), pb = free_port(), pc = free_port();
  test_node a{pa, {}, "the right secret"};
  test_node b{pb, {pa}, "the right secret"};
  test_node c{pc, {pa}, "a wrong secret"};
  REQUIRE(eventually([&] { return is_up(a, pb) && is_up(b, pa); }));
  REQUIRE(eventually([&] {
    auto p = c.peer(name_of(pa));
    return p && p->state == peer_state::down && p->reason == "wrong cluster secret";
  }));
  CHECK_FALSE(a.peer(name_of(pc))); // never admitted, so never listed
  CHECK(is_up(a, pb));
}

TEST_CASE("a stopped node is seen down, with the reason") {
  auto pa = free_port(), pb = free_port();
  test_node a{pa, {}, "a shared secret"};
  auto b = std::make_unique<test_node>(pb, std::vector<std::uint16_t>{pa}, "a shared secret");
  REQUIRE(eventually([&] { return is_up(a, pb); }));
  b.reset();
  REQUIRE(eventually([&] {
    auto p = a.peer(name_of(pb));
    return p && p->state == peer_state::down && p->reason == "connection lost";
  }));
}
