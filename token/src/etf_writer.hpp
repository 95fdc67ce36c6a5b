#pragma once

#include "etf_tag.hpp"

#include "phx/protocol/json.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace phx::token::detail {

/// Appends terms in the External Term Format, the way term_to_binary lays
/// them out. The caller writes the version byte once, then one term (which
/// may be a tuple header followed by its elements).
class etf_writer {
public:
  void version();
  void tuple_header(std::uint8_t arity);
  void atom(std::string_view name);
  void integer(std::int64_t value);
  void unsigned_integer(std::uint64_t value);
  void float64(double value);

  /// A JSON value (see phx::token::etf for the mapping). Throws
  /// std::invalid_argument for one that ETF-to-JSON could not give back.
  void value(const json& value);

  /// The bytes written so far.
  std::string take() && { return std::move(out_); }

private:
  void value(const json& value, std::size_t depth);
  void binary(std::string_view bytes);
  void array(const json& array, std::size_t depth);
  void object(const json& object, std::size_t depth);
  void big(std::uint64_t magnitude, bool negative);
  void put(etf_tag t);
  void put(std::uint8_t byte);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);

  std::string out_;
};

} // namespace phx::token::detail
