#include "phx/protocol/utf8.hpp"

#include <string>

#include <doctest/doctest.h>

using phx::is_valid_utf8;

namespace {

// Bytes from a literal that may hold NULs or stray bytes.
template <std::size_t N>
std::string bytes(const char (&text)[N]) {
  return std::string(text, N - 1);
}

} // namespace

TEST_CASE("ASCII, the empty string and NUL are valid") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("hello, world"));
  CHECK(is_valid_utf8(bytes("a\0b")));
  CHECK(is_valid_utf8(bytes("\x7f")));
}

TEST_CASE("well-formed 2, 3 and 4 byte sequences are valid, at their bounds too") {
  CHECK(is_valid_utf8("\xc3\xa9"));             // é U+00E9
  CHECK(is_valid_utf8("\xc2\x80"));             // U+0080, the first 2-byte
  CHECK(is_valid_utf8("\xdf\xbf"));             // U+07FF, the last 2-byte
  CHECK(is_valid_utf8("\xe2\x82\xac"));         // € U+20AC
  CHECK(is_valid_utf8("\xe0\xa0\x80"));         // U+0800, the first 3-byte
  CHECK(is_valid_utf8("\xed\x9f\xbf"));         // U+D7FF, just below the surrogates
  CHECK(is_valid_utf8("\xee\x80\x80"));         // U+E000, just above them
  CHECK(is_valid_utf8("\xef\xbf\xbf"));         // U+FFFF
  CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));     // 😀 U+1F600
  CHECK(is_valid_utf8("\xf0\x90\x80\x80"));     // U+10000, the first 4-byte
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));     // U+10FFFF, the last code point
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80!"));
}

TEST_CASE("overlong forms are invalid") {
  CHECK_FALSE(is_valid_utf8("\xc0\x80"));         // NUL in 2 bytes
  CHECK_FALSE(is_valid_utf8("\xc1\xbf"));         // U+007F in 2 bytes
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // '/' in 2 bytes
  CHECK_FALSE(is_valid_utf8("\xe0\x80\x80"));     // NUL in 3 bytes
  CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));     // U+07FF in 3 bytes
  CHECK_FALSE(is_valid_utf8("\xf0\x80\x80\x80")); // NUL in 4 bytes
  CHECK_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf")); // U+FFFF in 4 bytes
}

TEST_CASE("UTF-16 surrogates are invalid") {
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));                 // U+D800
  CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));                 // U+DFFF
  CHECK_FALSE(is_valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));     // a CESU-8 pair
}

TEST_CASE("code points past U+10FFFF and the lead bytes F5-FF are invalid") {
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // U+110000
  CHECK_FALSE(is_valid_utf8("\xf4\xbf\xbf\xbf"));
  for (int lead = 0xf5; lead <= 0xff; ++lead) {
    CAPTURE(lead);
    std::string text{static_cast<char>(lead), '\x80', '\x80', '\x80'};
    CHECK_FALSE(is_valid_utf8(text));
    CHECK_FALSE(is_valid_utf8(std::string(1, static_cast<char>(lead))));
  }
}

TEST_CASE("truncated sequences are invalid, at the end and before other bytes") {
  for (auto cut : {"\xc3", "\xe2\x82", "\xe2", "\xf0\x9f\x98", "\xf0\x9f", "\xf0"}) {
    std::string text = cut;
    CAPTURE(text.size());
    CHECK_FALSE(is_valid_utf8(text));
    CHECK_FALSE(is_valid_utf8(text + "a"));
    CHECK_FALSE(is_valid_utf8("ok " + text));
    CHECK_FALSE(is_valid_utf8(text + "\xc3\xa9"));
  }
  // A view that ends inside a sequence, though the bytes after it would complete it.
  std::string whole = "ab\xe2\x82\xac";
  CHECK(is_valid_utf8(whole));
  CHECK_FALSE(is_valid_utf8(std::string_view{whole}.substr(0, 4)));
}

TEST_CASE("lone continuation bytes are invalid") {
  for (int c = 0x80; c <= 0xbf; ++c) {
    CAPTURE(c);
    CHECK_FALSE(is_valid_utf8(std::string(1, static_cast<char>(c))));
    CHECK_FALSE(is_valid_utf8("a" + std::string(1, static_cast<char>(c)) + "b"));
  }
  CHECK_FALSE(is_valid_utf8("\xc3\xa9\xa9"));  // one continuation too many
  CHECK_FALSE(is_valid_utf8("\xc3\x28"));      // lead byte, then not a continuation
  CHECK_FALSE(is_valid_utf8("\xe2\x28\xa1"));
  CHECK_FALSE(is_valid_utf8("\xe2\x82\x28"));
  CHECK_FALSE(is_valid_utf8("\xf0\x9f\x98\x28"));
}
