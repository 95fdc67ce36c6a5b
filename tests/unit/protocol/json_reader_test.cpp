#include "phx/protocol/json_reader.hpp"

#include <chrono>
#include <string>

#include <doctest/doctest.h>

#include "deep_json.hpp"

using phx::json;
using phx::json_nests_deeper_than;
using phx::read_client_json;

namespace {

// Values nesting exactly `depth` levels (tests/support/deep_json.hpp).
std::string arrays(std::size_t depth) { return phx::test::nested_arrays(depth); }
std::string objects(std::size_t depth) { return phx::test::nested_objects(depth); }

// Arrays and objects taking turns, with scalars beside them: depth levels.
std::string mixed(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i)
    out += i % 2 == 0 ? R"([1,"s",)" : R"({"a":null,"b":)";
  out += "true";
  for (std::size_t i = depth; i-- > 0;)
    out += i % 2 == 0 ? "]" : "}";
  return out;
}

// Exactly at `max` is accepted, one past it refused.
void check_limit(std::string (*make)(std::size_t), std::size_t max) {
  CAPTURE(max);
  CHECK_FALSE(json_nests_deeper_than(make(max), max));
  CHECK(json_nests_deeper_than(make(max + 1), max));
  CHECK(json_nests_deeper_than(make(max), max - 1));
}

} // namespace

TEST_CASE("json_nests_deeper_than counts arrays, objects and mixes of them") {
  CHECK(phx::default_max_json_depth == 64);
  // A scalar nests no level; [] and {} one.
  for (auto scalar : {"1", "\"text\"", "null", "true", "-2.5e3", ""})
    CHECK_FALSE_MESSAGE(json_nests_deeper_than(scalar, 0), scalar);
  CHECK(json_nests_deeper_than("[]", 0));
  CHECK(json_nests_deeper_than("{}", 0));
  CHECK_FALSE(json_nests_deeper_than("[]", 1));
  CHECK_FALSE(json_nests_deeper_than("{}", 1));
  // Siblings do not add up: depth is the deepest path.
  CHECK_FALSE(json_nests_deeper_than(R"([[1],[2],{"a":3},[]])", 2));
  CHECK(json_nests_deeper_than(R"([[1],[2],{"a":[3]},[]])", 2));
  CHECK_FALSE(json_nests_deeper_than(R"([[1],[2],{"a":[3]},[]])", 3));
  CHECK(json_nests_deeper_than(R"({"a":[{"b":[]}]})", 3));
  CHECK_FALSE(json_nests_deeper_than(R"({"a":[{"b":[]}]})", 4));
  for (std::size_t max : {1, 2, 3, 17, 64, 65, 1000}) {
    check_limit(arrays, max);
    check_limit(objects, max);
    check_limit(mixed, max);
  }
}

TEST_CASE("brackets inside strings do not count, nor do escaped quotes end a string") {
  CHECK_FALSE(json_nests_deeper_than(R"("[[[[{{{{")", 0));
  CHECK_FALSE(json_nests_deeper_than(R"(["[[[[", "{{{{", {"[[[": "]]]{{"}])", 2));
  CHECK(json_nests_deeper_than(R"(["[[[[", "{{{{", {"[[[": [[]]}])", 2));
  // "\"[" is a string holding a quote and a bracket: the quote is escaped.
  CHECK_FALSE(json_nests_deeper_than(R"(["\"[", "\"{\"[["])", 1));
  CHECK(json_nests_deeper_than(R"(["\"[", ["\"{"]])", 1));
  // An escaped backslash before the closing quote does end the string.
  CHECK_FALSE(json_nests_deeper_than(R"(["\\", "x"])", 1));
  CHECK(json_nests_deeper_than(R"(["\\", ["x"]])", 1));
  // Closing brackets without an opening one do not lower the count below zero.
  CHECK(json_nests_deeper_than("][[[]]]", 2));
  CHECK(json_nests_deeper_than("}" + arrays(65), 64));
  CHECK_FALSE(json_nests_deeper_than("]" + arrays(2), 2));
  // Keys are strings too.
  CHECK_FALSE(json_nests_deeper_than(R"({"[{[{": 1, "\"}{": 2})", 1));
}

TEST_CASE("read_client_json accepts values at the limit and refuses one past it") {
  for (std::size_t max : {3, 64}) {
    CAPTURE(max);
    for (auto make : {arrays, objects, mixed}) {
      std::string error;
      auto at = read_client_json(make(max), max, error);
      REQUIRE(at);
      CHECK(error.empty());
      CHECK(*at == json::parse(make(max)));
      auto past = read_client_json(make(max + 1), max, error);
      CHECK_FALSE(past);
      CHECK(error.find("deeper") != std::string::npos);
      CHECK(error.find(std::to_string(max)) != std::string::npos);
    }
  }
  std::string error;
  auto value = read_client_json(R"({"a":[1,"[[[",{"b":null}]})", 3, error);
  REQUIRE(value);
  CHECK((*value)["a"][1] == "[[[");
}

TEST_CASE("a 100000-level text is refused quickly, without recursing") {
  auto start = std::chrono::steady_clock::now();
  for (auto text : {arrays(100000), std::string(100000, '['), std::string(100000, '{'),
                    objects(100000)}) {
    std::string error;
    CHECK_FALSE(read_client_json(text, phx::default_max_json_depth, error));
    CHECK(error.find("deeper") != std::string::npos);
    CHECK(json_nests_deeper_than(text, 64));
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("invalid JSON within the limit is reported as invalid, not as too deep") {
  for (auto bad : {"", "{not json", "[1,2", "[1,]", "{\"a\"}", "]]]]", "\"open", "[\"\\\"]"}) {
    CAPTURE(bad);
    std::string error;
    CHECK_FALSE(read_client_json(bad, 64, error));
    CHECK(error.find("not valid JSON") != std::string::npos);
    CHECK(error.find("deeper") == std::string::npos);
  }
}
