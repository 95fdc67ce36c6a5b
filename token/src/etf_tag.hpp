#pragma once

#include <cstdint>

namespace phx::token::detail {

/// The External Term Format's tags that this codec reads or writes (Erlang's
/// erts/emulator/beam/external.h; names as in its documentation).
enum class etf_tag : std::uint8_t {
  version = 131,           // first byte of every term_to_binary result
  new_float = 70,          // 8-byte IEEE 754 double, big-endian
  small_integer = 97,      // 0..255 in one byte
  integer = 98,            // int32, big-endian
  atom = 100,              // latin-1, 2-byte length (OTP < 26 writes these)
  small_tuple = 104,       // arity in one byte
  nil = 106,               // the empty list
  string = 107,            // a list of bytes: 2-byte length, then the bytes
  list = 108,              // 4-byte length, elements, then the tail
  binary = 109,            // 4-byte length, then the bytes
  small_big = 110,         // 1-byte length, sign, little-endian magnitude
  large_big = 111,         // 4-byte length, sign, little-endian magnitude
  small_atom = 115,        // latin-1, 1-byte length
  map = 116,               // 4-byte arity, then key, value, key, value...
  atom_utf8 = 118,         // UTF-8, 2-byte length
  small_atom_utf8 = 119,   // UTF-8, 1-byte length (what OTP >= 26 writes)
};

/// Erlang writes a list of integers 0..255 shorter than this as STRING_EXT.
inline constexpr std::uint32_t max_string_ext_length = 65535;

} // namespace phx::token::detail
