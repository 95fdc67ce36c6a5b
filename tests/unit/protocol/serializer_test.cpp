#include "phx/protocol/serializer.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using phx::json;

namespace {

json parse(const phx::frame& f) {
  return json::parse(*f.bytes);
}

} // namespace

TEST_CASE("vsn negotiation follows Phoenix's ~> 1.0.0 and ~> 2.0.0") {
  CHECK(phx::serializer_for_vsn("") == &phx::v1_json_serializer());
  CHECK(phx::serializer_for_vsn("1.0.0") == &phx::v1_json_serializer());
  CHECK(phx::serializer_for_vsn("1.0.7") == &phx::v1_json_serializer());
  CHECK(phx::serializer_for_vsn("2.0.0") == &phx::v2_json_serializer());
  CHECK(phx::serializer_for_vsn("2.0.3") == &phx::v2_json_serializer());
  for (auto bad : {"2", "2.0", "abc", "1.1.0", "3.0.0", "123.1.1", "2.0.x", "2..0", "-1.0.0"})
    CHECK_MESSAGE(phx::serializer_for_vsn(bad) == nullptr, bad);
}

TEST_CASE("V2 decodes the five-element array and keeps refs as sent") {
  auto r = phx::v2_json_serializer().decode(R"(["1","2","room:1","ping",{"a":1},"extra"])", false);
  REQUIRE(r.ok());
  CHECK(r.msg.join_ref == "1");
  CHECK(r.msg.ref == "2");
  CHECK(r.msg.topic == "room:1");
  CHECK(r.msg.event == "ping");
  CHECK(r.msg.payload == json{{"a", 1}});
  auto numeric = phx::v2_json_serializer().decode(R"([null,7,"t","e",[1,2]])", false);
  REQUIRE(numeric.ok());
  CHECK(numeric.msg.join_ref.is_null());
  CHECK(numeric.msg.ref == 7);
  CHECK(numeric.msg.payload == json::array({1, 2}));
}

TEST_CASE("V2 refuses frames that do not decode, saying why") {
  auto& v2 = phx::v2_json_serializer();
  for (auto bad : {"", "not json", "{}", R"(["1","2","t","e"])", R"([1,2,3,"e",{}])",
                   R"(["1","2","t",null,{}])", "[1,2,"})
    CHECK_MESSAGE(!v2.decode(bad, false).ok(), bad);
  auto bin = v2.decode("\x00\x01", true);
  CHECK(!bin.ok());
  CHECK(bin.error.find("binary") != std::string::npos);
}

TEST_CASE("V2 encodes replies, pushes and broadcasts as five-element arrays") {
  auto& v2 = phx::v2_json_serializer();
  auto reply = parse(v2.encode_reply("3", "4", "room:1", "ok", json{{"x", 1}}));
  CHECK(reply == json::parse(R"(["3","4","room:1","phx_reply",{"status":"ok","response":{"x":1}}])"));
  auto push = parse(v2.encode(phx::message{"3", nullptr, "room:1", "pushed", json{{"y", 2}}}));
  CHECK(push == json::parse(R"(["3",null,"room:1","pushed",{"y":2}])"));
  auto bcast = parse(v2.encode_broadcast("room:1", "shout", json::object()));
  CHECK(bcast == json::parse(R"([null,null,"room:1","shout",{}])"));
}

TEST_CASE("a payload encoded once is pushed as the same frame a JSON payload makes") {
  json payload{{"alice", {{"metas", {{{"phx_ref", "F1"}, {"device", "ph\"one"}}}}}}, {"n", 1.5}};
  phx::encoded_json encoded{payload};
  CHECK(json::parse(encoded.text()) == payload);
  CHECK(encoded.value() == payload);
  CHECK(phx::encoded_json{}.text() == "{}");
  for (auto* s : {&phx::v1_json_serializer(), &phx::v2_json_serializer(),
                  &phx::v2_json_text_serializer()}) {
    auto by_value = s->encode(phx::message{"3", nullptr, "room:é", "presence_state", payload});
    auto by_text = s->encode("3", nullptr, "room:é", "presence_state", encoded);
    CHECK_MESSAGE(by_text.str() == *by_value.bytes, s->name());
    CHECK_FALSE(by_text.body); // small: copied
    CHECK_FALSE(by_text.binary);
  }
  // A big one is spliced into each frame, not copied: the frames share it.
  json big = json::object();
  for (int i = 0; i < 500; ++i)
    big["user-" + std::to_string(i)] = json{{"metas", json::array({json{{"phx_ref", "R"}}})}};
  phx::encoded_json shared{big};
  for (auto* s : {&phx::v1_json_serializer(), &phx::v2_json_serializer()}) {
    auto a = s->encode("3", nullptr, "room:1", "presence_state", shared);
    auto b = s->encode("4", nullptr, "room:1", "presence_state", shared);
    CHECK(a.body == shared.shared_text());
    CHECK(b.body == shared.shared_text());
    CHECK(a.size() == a.str().size());
    CHECK(a.str() == *s->encode(phx::message{"3", nullptr, "room:1", "presence_state", big}).bytes);
    CHECK(b.str() == *s->encode(phx::message{"4", nullptr, "room:1", "presence_state", big}).bytes);
  }
}

TEST_CASE("V2 round trip: what it encodes it decodes") {
  auto& v2 = phx::v2_json_serializer();
  phx::message in{"1", "9", "room:é", "ev\"ent", json{{"nested", {{"k", {1, "two", nullptr}}}}}};
  auto out = v2.decode(*v2.encode(in).bytes, false);
  REQUIRE(out.ok());
  CHECK(out.msg.join_ref == in.join_ref);
  CHECK(out.msg.ref == in.ref);
  CHECK(out.msg.topic == in.topic);
  CHECK(out.msg.event == in.event);
  CHECK(out.msg.payload == in.payload);
}

TEST_CASE("V1 decodes objects with topic, event, payload and ref, join_ref optional") {
  auto& v1 = phx::v1_json_serializer();
  auto r = v1.decode(R"({"topic":"room:1","event":"ping","payload":{},"ref":"5"})", false);
  REQUIRE(r.ok());
  CHECK(r.msg.ref == "5");
  CHECK(r.msg.join_ref.is_null());
  auto with_jr = v1.decode(R"({"topic":"t","event":"e","payload":1,"ref":null,"join_ref":"2"})", false);
  REQUIRE(with_jr.ok());
  CHECK(with_jr.msg.join_ref == "2");
  for (auto bad : {R"({"topic":"t","event":"e","payload":{}})", R"(["1","2","t","e",{}])",
                   R"({"topic":1,"event":"e","payload":{},"ref":null})", "nope"})
    CHECK_MESSAGE(!v1.decode(bad, false).ok(), bad);
}

TEST_CASE("V1 output has exactly topic, event, payload and ref, never join_ref") {
  auto& v1 = phx::v1_json_serializer();
  auto reply = parse(v1.encode_reply("3", "4", "room:1", "error", json{{"reason", "x"}}));
  CHECK(reply == json::parse(R"({"topic":"room:1","event":"phx_reply","ref":"4",
                                  "payload":{"status":"error","response":{"reason":"x"}}})"));
  auto close = parse(v1.encode(phx::message{"3", "3", "room:1", "phx_close", json::object()}));
  CHECK(close.size() == 4);
  CHECK_FALSE(close.contains("join_ref"));
  CHECK(close["ref"] == "3");
  auto round = v1.decode(*v1.encode(phx::message{nullptr, "8", "t", "e", json{{"a", 1}}}).bytes, false);
  REQUIRE(round.ok());
  CHECK(round.msg.ref == "8");
  CHECK(round.msg.payload == json{{"a", 1}});
}

TEST_CASE("encoding never throws on invalid UTF-8 produced by a channel") {
  std::string bad = "\xff\xfe";
  auto f = phx::v2_json_serializer().encode_broadcast("t", "e", json{{"text", bad}});
  CHECK(json::accept(*f.bytes));
}

// A string literal's bytes, NULs included.
template <std::size_t N>
std::string raw(const char (&text)[N]) {
  return std::string(text, N - 1);
}

TEST_CASE("V2 reads a binary push and writes bytes in the binary layouts") {
  auto& v2 = phx::v2_json_serializer();
  auto client = raw("\x00\x02\x03\x05\x05" "12" "123" "topic" "event" "\x00\xff");
  auto decoded = v2.decode(client, true);
  REQUIRE(decoded.ok());
  CHECK(decoded.msg.join_ref == "12");
  CHECK(decoded.msg.ref == "123");
  CHECK(decoded.msg.topic == "topic");
  CHECK(decoded.msg.event == "event");
  REQUIRE(decoded.msg.payload.is_binary());
  CHECK(decoded.msg.payload == phx::json::binary({0x00, 0xff}));

  auto bytes = phx::json::binary({0x65, 0x66, 0x67});
  auto reply = v2.encode_reply("12", "123", "topic", "ok", bytes);
  CHECK(reply.binary);
  CHECK(*reply.bytes == raw("\x01\x02\x03\x05\x02" "12" "123" "topic" "ok" "efg"));
  auto broadcast = v2.encode_broadcast("topic", "event", bytes);
  CHECK(broadcast.binary);
  CHECK(*broadcast.bytes == raw("\x02\x05\x05" "topic" "event" "efg"));
  auto push = v2.encode(phx::message{"12", nullptr, "topic", "event", bytes});
  CHECK(push.binary);
  CHECK(*push.bytes == raw("\x00\x02\x05\x05" "12" "topic" "event" "efg"));
  // JSON payloads still travel as text.
  CHECK_FALSE(v2.encode_reply("12", "123", "topic", "ok", phx::json::object()).binary);
}

TEST_CASE("V1 has no binary frames and a malformed V2 binary frame is invalid data") {
  auto v1 = phx::v1_json_serializer().decode(raw("\x00\x00\x00\x01\x01te"), true);
  CHECK_FALSE(v1.ok());
  CHECK(v1.code == phx::close_code::unsupported_data);
  auto bytes = phx::json::binary({1, 2});
  CHECK_THROWS_AS(phx::v1_json_serializer().encode_reply("1", "1", "t", "ok", bytes),
                  std::invalid_argument);
  CHECK_THROWS_AS(phx::v1_json_serializer().encode_broadcast("t", "e", bytes),
                  std::invalid_argument);
  auto bad = phx::v2_json_serializer().decode(raw("\x01\x00\x00\x00\x00"), true);
  CHECK_FALSE(bad.ok());
  CHECK(bad.code == phx::close_code::invalid_payload);
}

TEST_CASE("text-only V2 (long-poll) reads binary pushes but cannot write bytes") {
  auto& text = phx::v2_json_text_serializer();
  CHECK(phx::serializer_for_vsn("2.0.0", true) == &text);
  CHECK(phx::serializer_for_vsn("1.0.0", true) == &phx::v1_json_serializer());
  CHECK(phx::serializer_for_vsn("3.0.0", true) == nullptr);
  // Its own index: a broadcast caches one encoding per serializer.
  CHECK(text.index() != phx::v2_json_serializer().index());
  CHECK(text.index() != phx::v1_json_serializer().index());
  CHECK(text.index() < phx::serializer_count);

  auto decoded = text.decode(raw("\x00\x00\x00\x01\x01" "te" "\x07"), true);
  REQUIRE(decoded.ok());
  CHECK(decoded.msg.payload == phx::json::binary({0x07}));

  auto bytes = phx::json::binary({1, 2});
  CHECK_THROWS_AS(text.encode_reply("1", "1", "t", "ok", bytes), std::invalid_argument);
  CHECK_THROWS_AS(text.encode_broadcast("t", "e", bytes), std::invalid_argument);
  CHECK_THROWS_AS(text.encode(phx::message{"1", nullptr, "t", "e", bytes}), std::invalid_argument);
  // JSON is written exactly as V2 writes it.
  phx::message msg{"1", "2", "room:1", "ping", phx::json{{"a", 1}}};
  CHECK(*text.encode(msg).bytes == *phx::v2_json_serializer().encode(msg).bytes);
  CHECK(*text.encode_reply("1", "2", "t", "ok", phx::json::object()).bytes
        == *phx::v2_json_serializer().encode_reply("1", "2", "t", "ok", phx::json::object()).bytes);
}
