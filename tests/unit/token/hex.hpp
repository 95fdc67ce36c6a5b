#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace token_test {

/// Bytes as lower-case hex, as Erlang's binary:encode_hex (lowercased) prints.
inline std::string to_hex(std::string_view bytes) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<std::uint8_t>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

/// Hex (either case) back to bytes; the tests write well-formed hex only.
inline std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return out;
}

} // namespace token_test
