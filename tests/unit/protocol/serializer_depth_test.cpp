#include "phx/protocol/serializer.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "deep_json.hpp"

using phx::json;

namespace {

// Values nesting exactly `depth` levels (tests/support/deep_json.hpp).
std::string arrays(std::size_t depth) { return phx::test::nested_arrays(depth); }
std::string objects(std::size_t depth) { return phx::test::nested_objects(depth); }

std::string mixed(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i)
    out += i % 2 == 0 ? R"({"s":"[[{{","v":)" : "[0,";
  out += "\"]]}}\"";
  for (std::size_t i = depth; i-- > 0;)
    out += i % 2 == 0 ? "}" : "]";
  return out;
}

using maker = std::string (*)(std::size_t);
const std::vector<std::pair<const char*, maker>> shapes{
  {"arrays", arrays}, {"objects", objects}, {"mixed", mixed}};

enum class slot { join_ref, ref, payload };
const std::vector<std::pair<const char*, slot>> slots{
  {"join_ref", slot::join_ref}, {"ref", slot::ref}, {"payload", slot::payload}};

// A V2 frame with `value` in slot `s`, the other slots plain.
std::string v2_frame(slot s, const std::string& value) {
  std::string jr = s == slot::join_ref ? value : "\"1\"";
  std::string ref = s == slot::ref ? value : "\"2\"";
  std::string payload = s == slot::payload ? value : "{}";
  return "[" + jr + "," + ref + ",\"room:1\",\"ev\"," + payload + "]";
}

// The same as a V1 object frame.
std::string v1_frame(slot s, const std::string& value) {
  std::string jr = s == slot::join_ref ? value : "\"1\"";
  std::string ref = s == slot::ref ? value : "\"2\"";
  std::string payload = s == slot::payload ? value : "{}";
  return R"({"topic":"room:1","event":"ev","payload":)" + payload + R"(,"ref":)" + ref
         + R"(,"join_ref":)" + jr + "}";
}

const json& field(const phx::message& msg, slot s) {
  return s == slot::join_ref ? msg.join_ref : s == slot::ref ? msg.ref : msg.payload;
}

bool mentions_depth(const std::string& error, std::size_t max) {
  return error.find("deeper") != std::string::npos
         && error.find(std::to_string(max)) != std::string::npos;
}

// For each shape and slot: `max` levels decode (the value intact), max + 1 fail.
void check_depth_limit(const phx::serializer& format,
                       std::string (*make_frame)(slot, const std::string&), std::size_t max,
                       bool use_default) {
  for (auto& [shape_name, make] : shapes) {
    for (auto& [slot_name, s] : slots) {
      CAPTURE(format.name());
      CAPTURE(max);
      CAPTURE(shape_name);
      CAPTURE(slot_name);
      auto decode = [&](const std::string& data) {
        return use_default ? format.decode(data, false) : format.decode(data, false, max);
      };
      auto at = decode(make_frame(s, make(max)));
      CHECK_MESSAGE(at.ok(), at.error);
      if (at.ok()) {
        CHECK(field(at.msg, s) == json::parse(make(max)));
        CHECK(at.msg.topic == "room:1");
        CHECK(at.msg.event == "ev");
      }
      auto past = decode(make_frame(s, make(max + 1)));
      CHECK_FALSE(past.ok());
      CHECK_MESSAGE(mentions_depth(past.error, max), past.error);
    }
  }
}

} // namespace

TEST_CASE("V2: a value in any slot may nest max_json_depth levels, not one more") {
  check_depth_limit(phx::v2_json_serializer(), v2_frame, 64, false);
  check_depth_limit(phx::v2_json_serializer(), v2_frame, 3, false);
  check_depth_limit(phx::v2_json_serializer(), v2_frame, 1, false);
}

TEST_CASE("V1: a value in any slot may nest max_json_depth levels, not one more") {
  check_depth_limit(phx::v1_json_serializer(), v1_frame, 64, false);
  check_depth_limit(phx::v1_json_serializer(), v1_frame, 3, false);
  check_depth_limit(phx::v1_json_serializer(), v1_frame, 1, false);
}

TEST_CASE("decode without a limit uses default_max_json_depth (64)") {
  REQUIRE(phx::default_max_json_depth == 64);
  check_depth_limit(phx::v2_json_serializer(), v2_frame, 64, true);
  check_depth_limit(phx::v1_json_serializer(), v1_frame, 64, true);
}

TEST_CASE("deep values in several slots at once: the deepest one decides") {
  auto& v2 = phx::v2_json_serializer();
  auto ok = v2.decode("[" + arrays(3) + "," + objects(3) + R"(,"t","e",)" + mixed(3) + "]", false, 3);
  CHECK_MESSAGE(ok.ok(), ok.error);
  auto bad = v2.decode("[" + arrays(3) + "," + objects(4) + R"(,"t","e",)" + mixed(3) + "]", false, 3);
  CHECK_FALSE(bad.ok());
  CHECK(mentions_depth(bad.error, 3));
}

TEST_CASE("brackets in the topic, event and string values do not count as depth") {
  std::string brackets(200, '[');
  auto v2 = phx::v2_json_serializer().decode(
    R"(["1","2",")" + brackets + R"(",")" + brackets + R"(",{"a":")" + brackets + R"("}])",
    false, 1);
  REQUIRE_MESSAGE(v2.ok(), v2.error);
  CHECK(v2.msg.topic == brackets);
  auto v1 = phx::v1_json_serializer().decode(
    R"({"topic":"\"[[[","event":"{{{","payload":{"x":"\"[[[[["},"ref":null})", false, 1);
  REQUIRE_MESSAGE(v1.ok(), v1.error);
  CHECK(v1.msg.topic == "\"[[[");
}

TEST_CASE("a deep topic or event fails on depth before anything else is looked at") {
  auto& v2 = phx::v2_json_serializer();
  auto deep_topic = v2.decode(R"(["1","2",)" + arrays(4) + R"(,"e",{}])", false, 3);
  CHECK_FALSE(deep_topic.ok());
  CHECK(mentions_depth(deep_topic.error, 3));
  // At the limit it is not too deep, only not a string.
  auto shallow_topic = v2.decode(R"(["1","2",)" + arrays(3) + R"(,"e",{}])", false, 3);
  CHECK_FALSE(shallow_topic.ok());
  CHECK_FALSE(mentions_depth(shallow_topic.error, 3));
}

TEST_CASE("a 100000-level payload is refused on depth, in both formats") {
  auto deep = arrays(100000);
  auto v2 = phx::v2_json_serializer().decode(R"(["1","2","t","e",)" + deep + "]", false);
  CHECK_FALSE(v2.ok());
  CHECK(mentions_depth(v2.error, 64));
  auto v1 = phx::v1_json_serializer().decode(
    R"({"topic":"t","event":"e","ref":null,"payload":)" + deep + "}", false);
  CHECK_FALSE(v1.ok());
  CHECK(mentions_depth(v1.error, 64));
  // Unclosed, as a flood would send it.
  auto open = phx::v2_json_serializer().decode(std::string(100000, '['), false);
  CHECK_FALSE(open.ok());
  CHECK(mentions_depth(open.error, 64));
}
