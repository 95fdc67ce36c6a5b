// The cluster's pure parts: peer addresses, the flow bound of one peer, and
// the handshake's proofs. The bridge itself runs between real processes
// (tests/cluster).
#include <doctest/doctest.h>

#include "peer_auth.hpp"
#include "peer_flow.hpp"
#include "phx/cluster/cluster_config.hpp"

using phx::cluster_config;
using phx::peer_address;
using phx::detail::peer_auth;
using phx::detail::peer_flow;

TEST_CASE("peer addresses parse as host:port, IPv6 in brackets") {
  auto a = peer_address::parse("127.0.0.1:4100");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 4100);
  CHECK(a->text() == "127.0.0.1:4100");
  auto b = peer_address::parse("[::1]:9");
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(b->port == 9);
  for (auto bad : {"", "host", ":80", "host:", "host:0", "host:65536", "host:8x", "::1:80",
                   "[::1:80", "[]:80"})
    CHECK_MESSAGE(!peer_address::parse(bad), bad);
}

TEST_CASE("a peer list takes commas and spaces and refuses a bad entry whole") {
  cluster_config cfg;
  std::string error;
  REQUIRE(cfg.set_peers("127.0.0.1:1, node-b:2,,", error));
  REQUIRE(cfg.peers.size() == 2);
  CHECK(cfg.peers[1].text() == "node-b:2");
  CHECK_FALSE(cfg.set_peers("127.0.0.1:1,nonsense", error));
  CHECK(error.find("nonsense") != std::string::npos);
  CHECK(cfg.peers.size() == 2); // unchanged
}

TEST_CASE("a node is named by its host and port unless told otherwise") {
  cluster_config cfg;
  CHECK_FALSE(cfg.enabled());
  cfg.node_port = 4100;
  CHECK(cfg.enabled());
  CHECK(cfg.name() == "127.0.0.1:4100");
  cfg.node_name = "node-a";
  CHECK(cfg.name() == "node-a");
}

TEST_CASE("flow: what the peer has not acknowledged counts against the limit") {
  peer_flow flow{100};
  CHECK_FALSE(flow.would_overflow(100));
  flow.sent(60);
  CHECK(flow.in_flight() == 60);
  CHECK(flow.would_overflow(41));
  CHECK_FALSE(flow.would_overflow(40));
  flow.acknowledge(50);
  CHECK(flow.in_flight() == 10);
  flow.acknowledge(20); // an older total changes nothing
  CHECK(flow.in_flight() == 10);
  flow.acknowledge(500); // never more than was sent
  CHECK(flow.in_flight() == 0);
}

TEST_CASE("flow: a new link starts from what the peer says it received") {
  peer_flow flow{100};
  flow.sent(90); // the connection broke with 90 bytes unacknowledged
  flow.rebase(30);
  CHECK(flow.in_flight() == 0);
  flow.sent(10);
  flow.acknowledge(40);
  CHECK(flow.in_flight() == 0);
}

TEST_CASE("handshake proofs: same secret agrees, other secret, role or nonce does not") {
  peer_auth a{"the cluster secret"}, b{"the cluster secret"}, other{"another secret"};
  auto nd = peer_auth::nonce(), na = peer_auth::nonce();
  CHECK(nd.size() == 16);
  CHECK(nd != na);
  CHECK(peer_auth::same(a.dialer_proof(nd, na), b.dialer_proof(nd, na)));
  CHECK(peer_auth::same(a.acceptor_proof(nd, na), b.acceptor_proof(nd, na)));
  CHECK_FALSE(peer_auth::same(a.dialer_proof(nd, na), other.dialer_proof(nd, na)));
  CHECK_FALSE(peer_auth::same(a.dialer_proof(nd, na), a.acceptor_proof(nd, na)));
  CHECK_FALSE(peer_auth::same(a.dialer_proof(nd, na), a.dialer_proof(na, nd)));
  CHECK_FALSE(peer_auth::same(a.dialer_proof(nd, na), a.dialer_proof(nd, peer_auth::nonce())));
  CHECK_FALSE(peer_auth::same(a.dialer_proof(nd, na), ""));
}
