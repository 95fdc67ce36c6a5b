#pragma once

#include "phx/protocol/json.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace phx::token {

/// Erlang's External Term Format (what `term_to_binary` writes), for the
/// terms that are JSON values. This is how Phoenix.Token carries its data, so
/// the mapping follows what an Elixir application signs and expects:
///
///   JSON string         <-> binary (BINARY_EXT), UTF-8
///   integer             <-> integer (SMALL_INTEGER_EXT, INTEGER_EXT,
///                           SMALL_BIG_EXT; LARGE_BIG_EXT read), int64/uint64
///   float               <-> float (NEW_FLOAT_EXT)
///   true / false / null <-> the atoms true / false / nil
///   object              <-> map with binary keys (MAP_EXT)
///   array               <-> list (LIST_EXT, NIL_EXT; STRING_EXT for lists of
///                           bytes, exactly as term_to_binary writes them)
///
/// Atoms are written as SMALL_ATOM_UTF8_EXT, as OTP 26 and later do, so that
/// `encode` gives term_to_binary's bytes (OTP 25: with `{minor_version, 2}`).
class etf {
public:
  /// Arrays and objects nest at most this deep, both ways: decoding a
  /// token's data must not recurse as deep as its sender likes.
  static constexpr std::size_t max_depth = 64;

  /// `term_to_binary(value)`, version byte included. Throws
  /// std::invalid_argument for what `decode` would not give back: a float
  /// that is not finite, a binary or discarded JSON value, a string that is
  /// not UTF-8, nesting deeper than `max_depth`.
  static std::string encode(const json& value);

  /// `binary_to_term(bytes, [safe])` for a whole term that is a JSON value;
  /// nullopt for anything else (other atoms, tuples, pids, funs, non-UTF-8
  /// binaries, non-binary map keys, integers beyond 64 bits, too deep,
  /// truncated or trailing bytes).
  static std::optional<json> decode(std::string_view bytes);
};

} // namespace phx::token
