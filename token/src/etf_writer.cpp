#include "etf_writer.hpp"

#include "phx/protocol/utf8.hpp"
#include "phx/token/etf.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace phx::token::detail {

namespace {

std::uint32_t checked_length(std::size_t size) {
  if (size > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("ETF: a string, list or map over 2^32 elements");
  return static_cast<std::uint32_t>(size);
}

bool is_byte(const json& v) {
  if (v.is_number_unsigned())
    return v.get<std::uint64_t>() <= 255;
  if (v.is_number_integer())
    return v.get<std::int64_t>() >= 0 && v.get<std::int64_t>() <= 255;
  return false; // 1.0 included: a float is never a byte in Erlang
}

// term_to_binary writes a short list of bytes as STRING_EXT; so must we, or
// the same data would sign to different tokens in Elixir and here.
bool is_byte_list(const json& array) {
  return !array.empty() && array.size() <= max_string_ext_length
         && std::all_of(array.begin(), array.end(), is_byte);
}

} // namespace

void etf_writer::version() {
  put(etf_tag::version);
}

void etf_writer::tuple_header(std::uint8_t arity) {
  put(etf_tag::small_tuple);
  put(arity);
}

void etf_writer::atom(std::string_view name) {
  if (name.size() > 255)
    throw std::invalid_argument("ETF: an atom over 255 bytes");
  put(etf_tag::small_atom_utf8);
  put(static_cast<std::uint8_t>(name.size()));
  out_.append(name);
}

void etf_writer::integer(std::int64_t value) {
  if (value >= 0)
    return unsigned_integer(static_cast<std::uint64_t>(value));
  if (value >= std::numeric_limits<std::int32_t>::min()) {
    put(etf_tag::integer);
    return u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(value)));
  }
  // Negating in unsigned arithmetic is defined even for INT64_MIN.
  big(0 - static_cast<std::uint64_t>(value), true);
}

void etf_writer::unsigned_integer(std::uint64_t value) {
  if (value <= 255) {
    put(etf_tag::small_integer);
    return put(static_cast<std::uint8_t>(value));
  }
  if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    put(etf_tag::integer);
    return u32(static_cast<std::uint32_t>(value));
  }
  big(value, false);
}

void etf_writer::float64(double value) {
  // Erlang has no NaN or infinity; binary_to_term refuses them.
  if (!std::isfinite(value))
    throw std::invalid_argument("ETF: a float that is not finite");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put(etf_tag::new_float);
  for (int shift = 56; shift >= 0; shift -= 8)
    put(static_cast<std::uint8_t>(bits >> shift));
}

void etf_writer::value(const json& value) {
  this->value(value, 0);
}

void etf_writer::value(const json& value, std::size_t depth) {
  switch (value.type()) {
  case json::value_t::null:
    return atom("nil");
  case json::value_t::boolean:
    return atom(value.get<bool>() ? "true" : "false");
  case json::value_t::number_integer:
    return integer(value.get<std::int64_t>());
  case json::value_t::number_unsigned:
    return unsigned_integer(value.get<std::uint64_t>());
  case json::value_t::number_float:
    return float64(value.get<double>());
  case json::value_t::string:
    return binary(value.get_ref<const std::string&>());
  case json::value_t::array:
    return array(value, depth + 1);
  case json::value_t::object:
    return object(value, depth + 1);
  default:
    throw std::invalid_argument("ETF: a JSON binary or discarded value");
  }
}

void etf_writer::binary(std::string_view bytes) {
  // The decoder gives strings back only when they are UTF-8 (JSON text).
  if (!is_valid_utf8(bytes))
    throw std::invalid_argument("ETF: a string that is not UTF-8");
  put(etf_tag::binary);
  u32(checked_length(bytes.size()));
  out_.append(bytes);
}

void etf_writer::array(const json& array, std::size_t depth) {
  if (depth > etf::max_depth)
    throw std::invalid_argument("ETF: nested deeper than etf::max_depth");
  if (array.empty())
    return put(etf_tag::nil);
  if (is_byte_list(array)) {
    put(etf_tag::string);
    u16(static_cast<std::uint16_t>(array.size()));
    for (const auto& element : array)
      put(element.get<std::uint8_t>());
    return;
  }
  put(etf_tag::list);
  u32(checked_length(array.size()));
  for (const auto& element : array)
    value(element, depth);
  put(etf_tag::nil); // a proper list ends in []
}

void etf_writer::object(const json& object, std::size_t depth) {
  if (depth > etf::max_depth)
    throw std::invalid_argument("ETF: nested deeper than etf::max_depth");
  put(etf_tag::map);
  u32(checked_length(object.size()));
  // nlohmann keeps keys sorted bytewise, which is Erlang's order for binary
  // keys: a map of up to 32 keys comes out byte for byte as Erlang's.
  for (const auto& [key, element] : object.items()) {
    binary(key);
    value(element, depth);
  }
}

void etf_writer::big(std::uint64_t magnitude, bool negative) {
  std::string digits; // little-endian, no leading zero bytes
  for (; magnitude != 0; magnitude >>= 8)
    digits += static_cast<char>(magnitude & 0xff);
  put(etf_tag::small_big);
  put(static_cast<std::uint8_t>(digits.size()));
  put(negative ? 1 : 0);
  out_ += digits;
}

void etf_writer::put(etf_tag t) {
  put(static_cast<std::uint8_t>(t));
}

void etf_writer::put(std::uint8_t byte) {
  out_ += static_cast<char>(byte);
}

void etf_writer::u16(std::uint16_t v) {
  put(static_cast<std::uint8_t>(v >> 8));
  put(static_cast<std::uint8_t>(v));
}

void etf_writer::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    put(static_cast<std::uint8_t>(v >> shift));
}

} // namespace phx::token::detail
