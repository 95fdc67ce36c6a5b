#include "http/query_params.hpp"

#include <algorithm>
#include <string>

#include <doctest/doctest.h>

#include "phx/protocol/json_reader.hpp"

using phx::json;
using phx::detail::decode_base64;
using phx::detail::parse_query;

TEST_CASE("query strings become Phoenix params") {
  CHECK(parse_query("") == json::object());
  CHECK(parse_query("user_id=7&vsn=2.0.0") == json{{"user_id", "7"}, {"vsn", "2.0.0"}});
  CHECK(parse_query("a=hello+world&b=%C3%A9%26") == json{{"a", "hello world"}, {"b", "é&"}});
  // phoenix.js serialises a null param as an empty segment.
  CHECK(parse_query("user_id=7&nested%5Ba%5D=1&&vsn=2.0.0")
        == json{{"user_id", "7"}, {"nested", {{"a", "1"}}}, {"vsn", "2.0.0"}});
  CHECK(parse_query("list[]=x&list[]=y") == json{{"list", {"x", "y"}}});
  CHECK(parse_query("a[b][c]=d") == json{{"a", {{"b", {{"c", "d"}}}}}});
  CHECK(parse_query("flag") == json{{"flag", ""}});
}

TEST_CASE("the authToken subprotocol is standard base64 without padding") {
  CHECK(decode_base64("czNjcjN0") == std::optional<std::string>{"s3cr3t"});
  CHECK(decode_base64("YQ") == std::optional<std::string>{"a"});
  CHECK(decode_base64("YQ==") == std::optional<std::string>{"a"});
  CHECK(decode_base64("not base64!") == std::nullopt);
  CHECK(decode_base64("Y") == std::nullopt);
}

namespace {

// "k[s][s]...[s]": a key of `segments` segments (the name included).
std::string key_of(std::size_t segments) {
  std::string key = "k";
  for (std::size_t i = 1; i < segments; ++i)
    key += "[s]";
  return key;
}

// "[][]...": `n` empty segments.
std::string empty_segments(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += "[]";
  return out;
}

// How many levels `value` nests: an object or array is one more than its deepest member.
std::size_t depth_of(const json& value) {
  if (!value.is_structured())
    return 0;
  std::size_t deepest = 0;
  for (auto& member : value)
    deepest = std::max(deepest, depth_of(member));
  return deepest + 1;
}

} // namespace

TEST_CASE("bracketed keys nest within max_depth") {
  CHECK(parse_query("a[b][c]=d", 3) == json{{"a", {{"b", {{"c", "d"}}}}}});
  CHECK(depth_of(parse_query("a[b][c]=d", 3)) == 3);
  CHECK(parse_query("a[][b]=x", 3) == json::parse(R"({"a":[{"b":"x"}]})"));
  // The default limit is default_max_json_depth (64).
  auto at_default = parse_query(key_of(64) + "=v");
  CHECK(depth_of(at_default) == 64);
  CHECK_FALSE(at_default.contains(key_of(64)));
}

TEST_CASE("a key nesting deeper than max_depth is kept flat, as written") {
  CHECK(parse_query("a[b][c]=d", 2) == json{{"a[b][c]", "d"}});
  CHECK(parse_query("a[b]=d", 2) == json{{"a", {{"b", "d"}}}});
  CHECK(parse_query("a[][][]=x", 3) == json{{"a[][][]", "x"}});
  CHECK(parse_query("a[][]=x", 3) == json::parse(R"({"a":[["x"]]})"));
  // 65 segments against the default 64, and against an explicit 64.
  for (auto params : {parse_query(key_of(65) + "=v"), parse_query(key_of(65) + "=v", 64)}) {
    CHECK(params == json{{key_of(65), "v"}});
    CHECK(depth_of(params) == 1);
  }
  // 3000 segments: kept flat, beside a key that nests.
  auto huge = parse_query(key_of(3000) + "=v&other[x]=1", 64);
  CHECK(huge.size() == 2);
  CHECK(huge[key_of(3000)] == "v");
  CHECK(huge["other"] == json{{"x", "1"}});
  CHECK(depth_of(huge) == 2);
  auto arrays = parse_query("a" + empty_segments(3000) + "=v", 64);
  CHECK(arrays == json{{"a" + empty_segments(3000), "v"}});
}

TEST_CASE("the params never nest deeper than max_depth, whatever the keys") {
  for (std::size_t max : {1, 2, 3, 10, 64}) {
    CAPTURE(max);
    std::string query;
    for (std::size_t segments = 1; segments <= max + 3; ++segments)
      query += key_of(segments) + "=" + std::to_string(segments) + "&l"
               + empty_segments(segments - 1) + "=x&m[a]" + empty_segments(segments) + "=y&";
    auto params = parse_query(query, max);
    CHECK(depth_of(params) == max); // the keys within the limit did nest
    CHECK_FALSE(phx::json_nests_deeper_than(params.dump(), max));
  }
}
