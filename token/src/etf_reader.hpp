#pragma once

#include "etf_tag.hpp"

#include "phx/protocol/json.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace phx::token::detail {

/// Reads terms in the External Term Format from untrusted bytes, as
/// `binary_to_term(bytes, [safe])` would, but only the terms that are JSON
/// values (plus the few that Phoenix.Token's envelope needs: a tuple header,
/// an atom, an integer). Every length is checked against the bytes left
/// before anything is allocated, and nesting is bounded by etf::max_depth.
/// Throws etf_error on anything else.
class etf_reader {
public:
  explicit etf_reader(std::string_view bytes) noexcept : in_(bytes) {}

  /// The version byte (131) that starts every term_to_binary result.
  void version();
  /// The tag of the next term, not consumed.
  etf_tag peek() const;
  /// A SMALL_TUPLE_EXT header: its arity.
  std::size_t tuple_arity();
  /// A MAP_EXT header: its arity (each pair is at least two bytes).
  std::size_t map_arity();
  /// An atom in any of its four encodings: its name.
  std::string atom();
  /// An integer, float, or integer beyond 64 bits refused: as a JSON number.
  json number();
  /// A JSON value (see phx::token::etf for the mapping).
  json value();
  /// Throws unless every byte was read (binary_to_term's trailing bytes).
  void expect_end() const;

private:
  json value(std::size_t depth);
  json binary();
  json byte_list();
  json list(std::size_t depth);
  json map(std::size_t depth);
  json big(std::size_t digits);
  json float64();
  json atom_value();
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::string_view bytes(std::size_t n);
  /// `count` items of at least `min_size` bytes each must fit in what is left.
  void require_room(std::size_t count, std::size_t min_size) const;

  std::string_view in_;
  std::size_t pos_ = 0;
};

} // namespace phx::token::detail
