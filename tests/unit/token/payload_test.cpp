// The pieces under sign/verify, each against its Elixir counterpart:
// Base.url_encode64(padding: false), the {data, signed_at, max_age} tuple,
// and Plug.Crypto's age check.
#include "hex.hpp"

#include "phx/token/base64url.hpp"
#include "expiry.hpp"
#include "payload.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

using phx::json;
using phx::token::max_age;
using token_test::from_hex;
using token_test::to_hex;
namespace detail = phx::token::detail;

TEST_CASE("base64url without padding, as Elixir writes it") {
  CHECK(phx::token::base64url_encode("") == "");
  CHECK(phx::token::base64url_encode("f") == "Zg");
  CHECK(phx::token::base64url_encode("fo") == "Zm8");
  CHECK(phx::token::base64url_encode("foo") == "Zm9v");
  CHECK(phx::token::base64url_encode("HS256") == "SFMyNTY");
  CHECK(phx::token::base64url_encode(from_hex("fbff")) == "-_8");
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff\xfe\x00\x01"})
    CHECK(phx::token::base64url_decode(phx::token::base64url_encode(s)) == s);
}

TEST_CASE("base64url decoding is strict") {
  CHECK(phx::token::base64url_decode("Zg") == "f");
  CHECK(phx::token::base64url_decode("-_8") == from_hex("fbff"));
  CHECK_FALSE(phx::token::base64url_decode("Zg==").has_value());  // padding
  CHECK_FALSE(phx::token::base64url_decode("+/8").has_value());   // the other alphabet
  CHECK_FALSE(phx::token::base64url_decode("Z").has_value());     // 6 bits
  CHECK_FALSE(phx::token::base64url_decode("Zh").has_value());    // spare bits set
  CHECK_FALSE(phx::token::base64url_decode("Zm9").has_value());   // spare bits set
  CHECK_FALSE(phx::token::base64url_decode("Zm 9v").has_value()); // whitespace
}

TEST_CASE("the payload tuple, as Plug.Crypto writes it") {
  CHECK(to_hex(detail::encode_payload({123, 1700000000000, 86400}))
        == "836803617b6e06000068e5cf8b016200015180");
  // term_to_binary({1, 1700000000000, infinity}) and ({1, ..., 0.5}).
  CHECK(to_hex(detail::encode_payload({1, 1700000000000, max_age::infinity()}))
        == "83680361016e06000068e5cf8b017708696e66696e697479");
  CHECK(to_hex(detail::encode_payload({1, 1700000000000, max_age::milliseconds(500)}))
        == "83680361016e06000068e5cf8b01463fe0000000000000");
}

TEST_CASE("the payload tuple read back, max age in every form") {
  auto p = detail::decode_payload(from_hex("836803617b6e06000068e5cf8b016200015180"));
  REQUIRE(p.has_value());
  CHECK(p->data == 123);
  CHECK(p->signed_at_ms == 1700000000000);
  CHECK(p->max_age == max_age{86400});
  auto infinite = detail::decode_payload(from_hex("83680361016e06000068e5cf8b017708696e66696e697479"));
  REQUIRE(infinite.has_value());
  CHECK(infinite->max_age.is_infinity());
  // OTP 25 writes the atom as ATOM_EXT.
  auto old = detail::decode_payload(from_hex("83680361016e06000068e5cf8b01640008696e66696e697479"));
  REQUIRE(old.has_value());
  CHECK(old->max_age.is_infinity());
  auto half = detail::decode_payload(from_hex("83680361016e06000068e5cf8b01463fe0000000000000"));
  REQUIRE(half.has_value());
  CHECK(half->max_age.milliseconds() == 500);
  // signed_at 0 and a negative one are integers like any other.
  auto epoch = detail::decode_payload(from_hex("8368036101610062000151" "80"));
  REQUIRE(epoch.has_value());
  CHECK(epoch->signed_at_ms == 0);
  auto before = detail::decode_payload(from_hex("836803610162fffffffb62000151" "80"));
  REQUIRE(before.has_value());
  CHECK(before->signed_at_ms == -5);
}

TEST_CASE("expiry: Plug.Crypto's rule in milliseconds") {
  constexpr std::int64_t t = 1700000000000;
  CHECK_FALSE(detail::expired(t, 60, t + 60000));
  CHECK(detail::expired(t, 60, t + 60001));
  CHECK_FALSE(detail::expired(t, 60, t - 1000000)); // signed in the future
  CHECK(detail::expired(t, 0, t));
  CHECK(detail::expired(t, -1, t - 1000000));
  CHECK(detail::expired(t, max_age::milliseconds(0), t));
  CHECK_FALSE(detail::expired(t, max_age::infinity(), std::numeric_limits<std::int64_t>::max()));
  CHECK_FALSE(detail::expired(t, std::numeric_limits<std::int64_t>::max(),
                              std::numeric_limits<std::int64_t>::max()));
  CHECK_FALSE(detail::expired(std::numeric_limits<std::int64_t>::max(), 1,
                              std::numeric_limits<std::int64_t>::max()));
}

TEST_CASE("max_age: seconds, milliseconds, infinity") {
  CHECK(max_age{2}.milliseconds() == 2000);
  CHECK(max_age{-3}.milliseconds() == -3000);
  CHECK_FALSE(max_age{2}.is_infinity());
  CHECK(max_age::infinity().is_infinity());
  CHECK(max_age::infinity() == max_age::infinity());
  CHECK(max_age{1} == max_age::milliseconds(1000));
  CHECK(max_age{1} != max_age::infinity());
  CHECK(max_age{std::numeric_limits<std::int64_t>::max()}.milliseconds()
        == std::numeric_limits<std::int64_t>::max());
  CHECK(max_age{std::numeric_limits<std::int64_t>::min()}.milliseconds()
        == std::numeric_limits<std::int64_t>::min());
}
