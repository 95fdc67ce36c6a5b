// phx::token::sign / verify: the interop vector computed by Elixir's rules,
// round trips of every kind of JSON, expiry, and every way a token can be
// malformed or forged.
#include "hex.hpp"

#include "phx/token/key_generator.hpp"
#include "message_verifier.hpp"
#include "payload.hpp"

#include "phx/token.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using phx::json;
using token_test::from_hex;
using token_test::to_hex;
namespace token = phx::token;
namespace detail = phx::token::detail;

namespace {

const std::string secret = [] {
  std::string s;
  for (int i = 0; i < 8; ++i)
    s += "abcdefgh";
  return s;
}();
const std::string salt = "user auth";
constexpr std::int64_t signed_at = 1700000000000;
constexpr std::int64_t day_ms = 86400 * 1000;

token::sign_options at(std::int64_t ms, token::max_age age = token::default_max_age_seconds) {
  token::sign_options o;
  o.signed_at_ms = ms;
  o.max_age = age;
  return o;
}

token::verify_options now(std::int64_t ms) {
  token::verify_options o;
  o.now_ms = ms;
  return o;
}

token::verify_options now(std::int64_t ms, token::max_age age) {
  auto o = now(ms);
  o.max_age = age;
  return o;
}

std::string sign_at(const json& data) {
  return token::sign(secret, salt, data, at(signed_at));
}

token::verify_result verify_at(const std::string& t, std::int64_t ms = signed_at + 1000) {
  return token::verify(secret, salt, t, now(ms));
}

// Signs arbitrary payload bytes with the right key: what a holder of the
// secret could make, to test what happens after the MAC matched.
std::string sign_raw(const std::string& etf_hex) {
  return detail::sign_message(from_hex(etf_hex), phx::token::derive_key(secret, salt));
}

std::int64_t system_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void check_round_trip(const json& data) {
  CAPTURE(data.dump());
  auto r = verify_at(sign_at(data));
  REQUIRE(r.ok());
  CHECK(r.data() == data);
  CHECK(r.data().type() == data.type());
}

} // namespace

TEST_CASE("the vector: Phoenix.Token.sign(secret, \"user auth\", 123, signed_at: 1700000000)") {
  CHECK(to_hex(detail::encode_payload({123, signed_at, 86400}))
        == "836803617b6e06000068e5cf8b016200015180");
  CHECK(to_hex(phx::token::derive_key(secret, salt))
        == "2accee82cd986fd3c15e55abf3db03db01e891a4bb9469389a7584fdda020199");
  auto t = token::sign(secret, salt, 123, at(signed_at, 86400));
  CHECK(t == "SFMyNTY.g2gDYXtuBgAAaOXPiwFiAAFRgA.ZgeXwCqNe0XHVt6GtuG22gpJXvnc7YgjgIACRLCnfOk");
  auto r = verify_at(t);
  REQUIRE(r.ok());
  CHECK(r.data() == 123);
  // The last valid millisecond, then the first expired one.
  CHECK(verify_at(t, signed_at + day_ms).ok());
  CHECK(verify_at(t, signed_at + day_ms + 1).error() == token::error::expired);
}

TEST_CASE("every kind of JSON signs and verifies back to itself") {
  for (const char* s : {"", "hello", "h\xc3\xa9llo \xf0\x9f\x98\x80", "with \"quotes\" and \\"})
    check_round_trip(s);
  const std::int64_t integers[] = {0, 1, 255, 256, -1, -256, 2147483647, -2147483648LL,
                                   2147483648LL, -2147483649LL, 4294967296LL + 5, -4294967301LL,
                                   std::numeric_limits<std::int64_t>::max(),
                                   std::numeric_limits<std::int64_t>::min()};
  for (std::int64_t i : integers)
    check_round_trip(i);
  check_round_trip(std::numeric_limits<std::uint64_t>::max());
  for (double d : {0.0, 1.5, -2.25, 1e300, -1e-300, 0.1})
    check_round_trip(d);
  check_round_trip(true);
  check_round_trip(false);
  check_round_trip(nullptr);
  check_round_trip(json::array());
  check_round_trip(json::object());
  check_round_trip(json::array({1, 2, 3}));        // STRING_EXT
  check_round_trip(json::array({0, 255, 256}));    // LIST_EXT
  check_round_trip(json::array({json::array({1, json::array({"a", json::array()})}), nullptr}));
  check_round_trip({{"user_id", 42},
                    {"name", "Ada"},
                    {"roles", {"admin", "dev"}},
                    {"prefs", {{"theme", "dark"}, {"sizes", {1, 2, 3}}, {"ratio", 0.5}}},
                    {"active", true},
                    {"deleted_at", nullptr}});
}

TEST_CASE("sign refuses data verify could not give back") {
  CHECK_THROWS_AS(token::sign(secret, salt, std::numeric_limits<double>::quiet_NaN()),
                  std::invalid_argument);
  CHECK_THROWS_AS(token::sign(secret, salt, "\xc3"), std::invalid_argument);
  CHECK_THROWS_AS(token::sign(secret, salt, json::binary({1})), std::invalid_argument);
}

TEST_CASE("by default a token is signed now and lasts a day") {
  auto t = token::sign(secret, salt, "now");
  CHECK(token::verify(secret, salt, t).data() == "now");
  CHECK(token::verify(secret, salt, t, now(system_ms() + day_ms - 60000)).ok());
  CHECK(token::verify(secret, salt, t, now(system_ms() + day_ms + 60000)).error()
        == token::error::expired);
}

TEST_CASE("the embedded max age, and verify's overriding it") {
  auto t = token::sign(secret, salt, 1, at(signed_at, 60));
  CHECK(verify_at(t, signed_at + 60000).ok());
  CHECK(verify_at(t, signed_at + 60001).error() == token::error::expired);
  // verify's max age wins, longer or shorter.
  CHECK(token::verify(secret, salt, t, now(signed_at + 120000, 3600)).ok());
  auto day = sign_at(1);
  CHECK(token::verify(secret, salt, day, now(signed_at + 11000, 10)).error()
        == token::error::expired);
  CHECK(token::verify(secret, salt, day, now(signed_at + 9000, 10)).ok());
}

TEST_CASE("a max age of zero or less is always expired; infinity never") {
  CHECK(verify_at(token::sign(secret, salt, 1, at(signed_at, 0)), signed_at).error()
        == token::error::expired);
  CHECK(verify_at(token::sign(secret, salt, 1, at(signed_at, -5)), signed_at).error()
        == token::error::expired);
  CHECK(token::verify(secret, salt, sign_at(1), now(signed_at, 0)).error()
        == token::error::expired);
  auto forever = token::sign(secret, salt, 1, at(signed_at, token::max_age::infinity()));
  CHECK(verify_at(forever, signed_at + 100 * 365 * day_ms).ok());
  CHECK(token::verify(secret, salt, sign_at(1), now(signed_at + 400 * day_ms,
                                                    token::max_age::infinity()))
            .ok());
  // A limit too large for milliseconds in int64 saturates instead of wrapping.
  auto huge = token::sign(secret, salt, 1, at(signed_at, std::numeric_limits<std::int64_t>::max()));
  CHECK(verify_at(huge, signed_at + 1000 * 365 * day_ms).ok());
}

TEST_CASE("a token signed in the future is accepted (Plug.Crypto 2.1)") {
  auto t = token::sign(secret, salt, 1, at(signed_at + 3600 * 1000, 60));
  CHECK(verify_at(t, signed_at).ok());
}

TEST_CASE("any changed character makes a token invalid") {
  auto t = sign_at({{"user_id", 42}});
  REQUIRE(verify_at(t).ok());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '.')
      continue;
    auto altered = t;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    CAPTURE(altered);
    CHECK(verify_at(altered).error() == token::error::invalid);
  }
  // A character added to, or removed from, each part.
  auto first_dot = t.find('.');
  auto second_dot = t.find('.', first_dot + 1);
  for (auto pos : {first_dot, second_dot, t.size()}) {
    CHECK(verify_at(std::string{t}.insert(pos, "A")).error() == token::error::invalid);
    CHECK(verify_at(std::string{t}.erase(pos - 1, 1)).error() == token::error::invalid);
  }
}

TEST_CASE("another secret or salt makes a token invalid") {
  auto t = sign_at("data");
  CHECK(token::verify(secret, "other salt", t, now(signed_at)).error() == token::error::invalid);
  CHECK(token::verify(secret + "x", salt, t, now(signed_at)).error() == token::error::invalid);
  CHECK(token::verify(std::string(64, 'a'), salt, t, now(signed_at)).error()
        == token::error::invalid);
}

TEST_CASE("headers: HS256, HS384 and HS512 with their own MAC, nothing else") {
  auto key = phx::token::derive_key(secret, salt);
  auto message = detail::encode_payload({"x", signed_at, 60});
  for (auto d : {detail::digest::sha256, detail::digest::sha384, detail::digest::sha512}) {
    auto t = detail::sign_message(message, key, d);
    CHECK(verify_at(t).data() == "x");
  }
  auto hs384 = detail::sign_message(message, key, detail::digest::sha384);
  CHECK(hs384.substr(0, 8) == "SFMzODQ.");
  // The HS256 MAC under another header (and the other way round) fails.
  auto hs256 = sign_at("x");
  auto body = hs256.substr(7);
  for (const char* header : {"SFMzODQ", "SFM1MTI", "SFMyNTZ", "", "eyJhbGciOiJIUzI1NiJ9", "SFMyNTY="})
    CHECK(verify_at(header + body).error() == token::error::invalid);
  CHECK(verify_at("SFMyNTY" + hs384.substr(7)).error() == token::error::invalid);
}

TEST_CASE("malformed tokens are invalid") {
  auto t = sign_at(7);
  auto mac = t.substr(t.rfind('.') + 1);
  const std::vector<std::string> bad_tokens{
      "", ".", "..", "...", "SFMyNTY",
      t.substr(0, t.rfind('.')),                            // two parts
      t + ".", t + ".AAAA",                                 // four parts
      "SFMyNTY..", "SFMyNTY.." + mac,
      "SFMyNTY.g2gD@XtuBgAAaOXPiwFiAAFRgA." + mac,           // not base64url
      "SFMyNTY.g2gDYXtuBgAAaOXPiwFiAAFRgA==." + mac,         // padded
      "SFMyNTY.A.A", std::string(100000, 'A')};
  for (const auto& bad : bad_tokens)
    CHECK(verify_at(bad).error() == token::error::invalid);
}

TEST_CASE("an authentic payload that is not Phoenix.Token's is invalid") {
  auto invalid = [](const std::string& hex) {
    return verify_at(sign_raw(hex)).error() == token::error::invalid;
  };
  CHECK(verify_at(sign_raw("836803617b6e06000068e5cf8b016200015180")).data() == 123);
  CHECK(invalid(""));
  CHECK(invalid("6e6f742065746621"));                                   // not ETF
  CHECK(invalid("836803617b6e06000068e5cf8b0162000151"));               // cut short
  CHECK(invalid("836803617b6e06000068e5cf8b01620001518000"));           // trailing byte
  CHECK(invalid("836801617b"));                                         // {123}
  CHECK(invalid("836804617b6e06000068e5cf8b0162000151806100"));         // 4-tuple
  CHECK(invalid("836803617b464278bcfe568000006200015180"));             // signed_at a float
  CHECK(invalid("836803617b6e06000068e5cf8b0177036e6f77"));             // max_age :now
  CHECK(invalid("8368037703666f6f6e06000068e5cf8b016200015180"));       // data :foo
  CHECK(invalid("83680368026101610" "26e06000068e5cf8b016200015180"));  // data {1, 2}
  CHECK(invalid("8368036d00000001ff6e06000068e5cf8b016200015180"));     // data <<255>>
  CHECK(invalid("836c000000016a6a"));                                   // a list
  // Nesting beyond etf::max_depth, sent by someone holding the key.
  std::string deep = "836803";
  for (int i = 0; i < 10000; ++i)
    deep += "6c00000001";
  CHECK(invalid(deep + "6a"));
}

TEST_CASE("legacy payloads {data, signed_at} and %{data:, signed:} last a day") {
  // {<<"x">>, 1700000000000} and %{data: 123, signed: 1700000000000}, from Erlang.
  auto pair = sign_raw("8368026d00000001786e06000068e5cf8b01");
  CHECK(verify_at(pair).data() == "x");
  CHECK(verify_at(pair, signed_at + day_ms).ok());
  CHECK(verify_at(pair, signed_at + day_ms + 1).error() == token::error::expired);
  auto map = sign_raw("837400000002770464617461617b77067369676e65646e06000068e5cf8b01");
  CHECK(verify_at(map).data() == 123);
  CHECK(verify_at(map, signed_at + day_ms + 1).error() == token::error::expired);
  // OTP 25's atoms (ATOM_EXT), keys in the other order.
  auto old_atoms = sign_raw("8374000000026400067369676e65646e06000068e5cf8b01640004646174616d000000026869");
  CHECK(verify_at(old_atoms).data() == "hi");
  // Only those two keys, once each.
  CHECK(verify_at(sign_raw("837400000001770464617461617b")).error() == token::error::invalid);
  CHECK(verify_at(sign_raw("837400000002770464617461617b770464617461617b")).error()
        == token::error::invalid);
}

TEST_CASE("a null token is missing; other non-strings are invalid") {
  CHECK(token::verify(secret, salt, json(nullptr)).error() == token::error::missing);
  CHECK(token::verify(secret, salt, nullptr).error() == token::error::missing);
  CHECK(token::verify(secret, salt, static_cast<const char*>(nullptr)).error()
        == token::error::missing);
  CHECK(token::verify(secret, salt, json(5)).error() == token::error::invalid);
  CHECK(token::verify(secret, salt, json::object()).error() == token::error::invalid);
  CHECK(token::verify(secret, salt, json::array({sign_at(1)})).error() == token::error::invalid);
  // The same token through each overload.
  auto t = sign_at(1);
  CHECK(token::verify(secret, salt, json(t), now(signed_at)).ok());
  CHECK(token::verify(secret, salt, std::string_view{t}, now(signed_at)).ok());
  CHECK(token::verify(secret, salt, t.c_str(), now(signed_at)).ok());
  CHECK(token::verify(secret, salt, "SFMyNTY.x.y").error() == token::error::invalid);
}

TEST_CASE("errors read as Phoenix's atoms") {
  CHECK(token::to_string(token::error::expired) == "expired");
  CHECK(token::to_string(token::error::invalid) == "invalid");
  CHECK(token::to_string(token::error::missing) == "missing");
  auto r = token::verify(secret, salt, nullptr);
  CHECK_FALSE(r);
  CHECK(r.data().is_null());
}
