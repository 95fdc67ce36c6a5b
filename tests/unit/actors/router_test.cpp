#include "phx/actors/router.hpp"

#include <stdexcept>

#include <doctest/doctest.h>

namespace {

template <int N>
struct tagged_channel : phx::channel {
  phx::join_result join(const std::string&, const phx::json&, phx::channel_socket&) override {
    return phx::join_result::ok({{"tag", N}});
  }
};

int tag_of(const phx::route* r) {
  phx::channel_socket s;
  auto ch = r->make();
  return ch->join("", {}, s).response()["tag"].get<int>();
}

} // namespace

TEST_CASE("routes are tried in declaration order and the first match wins") {
  phx::router r;
  r.channel<tagged_channel<1>>("food*").channel<tagged_channel<2>>("foo*");
  REQUIRE(r.match("food:1") != nullptr);
  CHECK(tag_of(r.match("food:1")) == 1);
  CHECK(tag_of(r.match("foo:1")) == 2);
  CHECK(r.match("bar") == nullptr);
}

TEST_CASE("route assigns are kept, and must be an object") {
  phx::router r;
  r.channel<tagged_channel<1>>("room:*", {{"kind", "room"}});
  CHECK(r.match("room:1")->assigns == phx::json{{"kind", "room"}});
  CHECK_THROWS(r.channel<tagged_channel<1>>("x", phx::json::array()));
}

TEST_CASE("each join gets a fresh channel instance") {
  phx::router r;
  r.channel<tagged_channel<3>>("t");
  auto a = r.match("t")->make();
  auto b = r.match("t")->make();
  CHECK(a.get() != b.get());
}

TEST_CASE("via narrows the route declared last and other transports fall through") {
  phx::router r;
  r.channel<tagged_channel<1>>("up:*").via({phx::transport::websocket});
  r.channel<tagged_channel<2>>("up:*");
  r.channel<tagged_channel<3>>("ws:*").via({phx::transport::websocket});
  CHECK(tag_of(r.match("up:1", phx::transport::websocket)) == 1);
  CHECK(tag_of(r.match("up:1", phx::transport::longpoll)) == 2);
  CHECK(r.match("ws:1", phx::transport::longpoll) == nullptr);
  CHECK(r.match("ws:1", phx::transport::websocket) != nullptr);
  CHECK(tag_of(r.match("up:1")) == 1); // no transport given: any
  phx::router empty;
  CHECK_THROWS_AS(empty.via({phx::transport::websocket}), std::logic_error);
}

TEST_CASE("a transport set holds its members and the default holds all") {
  constexpr phx::transport_set all;
  static_assert(all.contains(phx::transport::websocket) && all.contains(phx::transport::longpoll));
  constexpr phx::transport_set ws{phx::transport::websocket};
  static_assert(ws.contains(phx::transport::websocket) && !ws.contains(phx::transport::longpoll));
}
