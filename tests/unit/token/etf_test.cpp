// phx::token::etf against the bytes Erlang's term_to_binary writes (OTP 25
// with {minor_version, 2}, which is OTP 26's default), and against hostile
// input that binary_to_term would refuse or that is not a JSON value.
#include "hex.hpp"

#include "phx/token/etf.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>

using phx::json;
using phx::token::etf;
using token_test::from_hex;
using token_test::to_hex;

namespace {

// Encodes, checks Erlang's bytes, and decodes back to the same value.
void check_both_ways(const json& value, const std::string& erlang_hex) {
  CAPTURE(value.dump());
  CHECK(to_hex(etf::encode(value)) == erlang_hex);
  auto back = etf::decode(from_hex(erlang_hex));
  REQUIRE(back.has_value());
  CHECK(*back == value);
}

bool refused(const std::string& hex) {
  return !etf::decode(from_hex(hex)).has_value();
}

// [[[...]]] `depth` lists deep, as ETF: LIST_EXT headers, NIL, then tails.
std::string nested_lists(std::size_t depth) {
  std::string hex = "83";
  for (std::size_t i = 0; i < depth; ++i)
    hex += "6c00000001";
  hex += "6a";
  for (std::size_t i = 0; i < depth; ++i)
    hex += "6a";
  return hex;
}

} // namespace

TEST_CASE("strings are binaries") {
  check_both_ways("hi", "836d000000026869");
  check_both_ways("\xc3\xa9", "836d00000002c3a9");
  check_both_ways("", "836d00000000");
}

TEST_CASE("integers take Erlang's smallest form") {
  check_both_ways(0, "836100");
  check_both_ways(255, "8361ff");
  check_both_ways(256, "836200000100");
  check_both_ways(-1, "8362ffffffff");
  check_both_ways(2147483647, "83627fffffff");
  check_both_ways(-2147483648LL, "836280000000");
  check_both_ways(2147483648LL, "836e040000000080");
  check_both_ways(-2147483649LL, "836e040101000080");
  check_both_ways(4294967296LL, "836e05000000000001");
  check_both_ways(std::numeric_limits<std::int64_t>::max(), "836e0800ffffffffffffff7f");
  check_both_ways(std::numeric_limits<std::int64_t>::min(), "836e08010000000000000080");
  check_both_ways(std::numeric_limits<std::uint64_t>::max(), "836e0800ffffffffffffffff");
  // nlohmann's unsigned and signed integers encode alike.
  CHECK(etf::encode(json(std::uint64_t{300})) == etf::encode(json(std::int64_t{300})));
}

TEST_CASE("big integers: LARGE_BIG_EXT and non-minimal forms within 64 bits") {
  CHECK(etf::decode(from_hex("836f0000000200" "0001")) == json(256));
  CHECK(etf::decode(from_hex("836e0a00" "ffffffffffffffff0000")) == json(UINT64_MAX));
  CHECK(etf::decode(from_hex("836e00" "00")) == json(0));
  CHECK(refused("836e0900" "000000000000000001"));   // 2^64
  CHECK(refused("836e0801" "0100000000000080"));     // -(2^63 + 1)
  CHECK(refused("836f000000ff00"));                  // length beyond the bytes
}

TEST_CASE("floats are NEW_FLOAT_EXT, big-endian IEEE 754") {
  check_both_ways(1.5, "83463ff8000000000000");
  check_both_ways(0.1, "83463fb999999999999a");
  check_both_ways(-0.0, "83468000000000000000");
  CHECK(refused("83467ff8000000000000")); // NaN
  CHECK(refused("83467ff0000000000000")); // infinity
  CHECK_THROWS_AS(etf::encode(std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK_THROWS_AS(etf::encode(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

TEST_CASE("true, false and null are the atoms true, false and nil") {
  check_both_ways(true, "83770474727565");
  check_both_ways(false, "83770566616c7365");
  check_both_ways(nullptr, "8377036e696c");
  // The older atom encodings (OTP 25's default) read the same.
  CHECK(refused("8364000474727")); // truncated
  CHECK(etf::decode(from_hex("83640004" "74727565")) == json(true));
  CHECK(etf::decode(from_hex("8373036e696c")) == json(nullptr));
  CHECK(etf::decode(from_hex("8376000566616c7365")) == json(false));
  // Any other atom is not JSON.
  CHECK(refused("837702" "6f6b"));          // ok
  CHECK(refused("8364000474727566"));       // truf
}

TEST_CASE("lists: NIL for [], STRING_EXT for bytes, LIST_EXT otherwise") {
  check_both_ways(json::array(), "836a");
  check_both_ways(json::array({1, 2, 3}), "836b0003010203");
  check_both_ways(json::array({1, 256}), "836c00000002610162000001006a");
  check_both_ways(json::array({"a", 1}), "836c000000026d000000016161016a");
  check_both_ways(json::array({-1}), "836c0000000162ffffffff6a");
  check_both_ways(json::array({json::array({json::array()})}), "836c000000016c000000016a6a6a");
  // A byte list of 65535 elements is still STRING_EXT; one more is a list.
  json bytes = json::array();
  for (int i = 0; i < 65535; ++i)
    bytes.push_back(i % 256);
  auto as_string = etf::encode(bytes);
  CHECK(to_hex(as_string.substr(0, 4)) == "836bffff");
  CHECK(etf::decode(as_string) == bytes);
  bytes.push_back(7);
  auto as_list = etf::encode(bytes);
  CHECK(to_hex(as_list.substr(0, 6)) == "836c00010000");
  CHECK(etf::decode(as_list) == bytes);
  // A float in the list, even 1.0, is not a byte.
  CHECK(to_hex(etf::encode(json::array({1.0}))).substr(0, 4) == "836c");
}

TEST_CASE("objects are maps with binary keys, in Erlang's key order") {
  check_both_ways(json::object(), "837400000000");
  check_both_ways(json{{"b", 1}, {"a", json::array({true})}},
                  "8374000000026d00000001616c000000017704747275656a6d00000001626101");
  check_both_ways(json{{"user", {{"id", 42}, {"roles", {"admin", "dev"}}}}},
                  "8374000000016d000000047573657274000000026d000000026964612a6d00000005726f6c65"
                  "736c000000026d0000000561646d696e6d000000036465766a");
}

TEST_CASE("maps: keys must be binaries, once each") {
  CHECK(refused("83740000000161016101"));                     // #{1 => 1}
  CHECK(refused("837400000001770164" "6101"));                 // #{d => 1}
  CHECK(refused("8374000000026d0000000161610" "16d00000001616102")); // "a" twice
  CHECK(refused("8374ffffffff"));                              // arity beyond the bytes
}

TEST_CASE("what is not a JSON value is refused") {
  CHECK(refused(""));
  CHECK(refused("83"));
  CHECK(refused("8461"));                                 // wrong version byte
  CHECK(refused("836801" "6101"));                        // a tuple {1}
  CHECK(refused("836c00000001" "6101" "6102"));           // an improper list [1 | 2]
  CHECK(refused("836d00000001ff"));                       // a binary that is not UTF-8
  CHECK(refused("834d0000000107ff"));                     // a bitstring
  CHECK(refused("8350000000"));                           // compressed
  CHECK(refused("8370"));                                 // a fun, cut short
  CHECK(refused("836100" "00"));                          // trailing bytes
  CHECK(refused("836d00000005" "6869"));                  // binary cut short
  CHECK(refused("836cffffffff6a"));                       // list length beyond the bytes
  CHECK_THROWS_AS(etf::encode(json::binary({1, 2})), std::invalid_argument);
  CHECK_THROWS_AS(etf::encode("\xff"), std::invalid_argument);
}

TEST_CASE("nesting is bounded at etf::max_depth, both ways") {
  CHECK(etf::decode(from_hex(nested_lists(etf::max_depth))).has_value());
  CHECK(refused(nested_lists(etf::max_depth + 1)));
  // Far deeper input is refused without recursing through it.
  CHECK(refused(nested_lists(100000)));
  json deep = json::array();
  for (std::size_t i = 1; i < etf::max_depth; ++i)
    deep = json::array({deep});
  CHECK_NOTHROW(etf::encode(deep));
  CHECK_THROWS_AS(etf::encode(json::array({deep})), std::invalid_argument);
  json deep_map = json::object();
  for (std::size_t i = 0; i < etf::max_depth; ++i)
    deep_map = json{{"k", deep_map}};
  CHECK_THROWS_AS(etf::encode(deep_map), std::invalid_argument);
}
