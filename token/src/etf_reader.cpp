#include "etf_reader.hpp"

#include "etf_error.hpp"

#include "phx/protocol/utf8.hpp"
#include "phx/token/etf.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace phx::token::detail {

namespace {

[[noreturn]] void fail(const char* what) {
  throw etf_error(what);
}

} // namespace

void etf_reader::version() {
  if (u8() != static_cast<std::uint8_t>(etf_tag::version))
    fail("not an ETF term (version byte)");
}

etf_tag etf_reader::peek() const {
  if (pos_ >= in_.size())
    fail("truncated term");
  return static_cast<etf_tag>(in_[pos_]);
}

std::size_t etf_reader::tuple_arity() {
  if (static_cast<etf_tag>(u8()) != etf_tag::small_tuple)
    fail("not a tuple");
  return u8();
}

std::size_t etf_reader::map_arity() {
  if (static_cast<etf_tag>(u8()) != etf_tag::map)
    fail("not a map");
  std::size_t arity = u32();
  require_room(arity, 2);
  return arity;
}

std::string etf_reader::atom() {
  std::size_t size = 0;
  switch (static_cast<etf_tag>(u8())) {
  case etf_tag::small_atom_utf8:
  case etf_tag::small_atom:
    size = u8();
    break;
  case etf_tag::atom_utf8:
  case etf_tag::atom:
    size = u16();
    break;
  default:
    fail("not an atom");
  }
  // Erlang's own limit, in characters; the atoms we accept are ASCII anyway.
  if (size > 255 * 4)
    fail("atom too long");
  return std::string{bytes(size)};
}

json etf_reader::number() {
  switch (static_cast<etf_tag>(u8())) {
  // Integers come back as int64 whenever they fit (uint64 only beyond), so
  // callers can tell "fits in int64" by the JSON type alone.
  case etf_tag::small_integer:
    return std::int64_t{u8()};
  case etf_tag::integer:
    return std::int64_t{static_cast<std::int32_t>(u32())};
  case etf_tag::small_big:
    return big(u8());
  case etf_tag::large_big:
    return big(u32());
  case etf_tag::new_float:
    return float64();
  default:
    fail("not a number");
  }
}

json etf_reader::value() {
  return value(0);
}

void etf_reader::expect_end() const {
  if (pos_ != in_.size())
    fail("bytes after the term");
}

json etf_reader::value(std::size_t depth) {
  switch (peek()) {
  case etf_tag::small_integer:
  case etf_tag::integer:
  case etf_tag::small_big:
  case etf_tag::large_big:
  case etf_tag::new_float:
    return number();
  case etf_tag::binary:
    return binary();
  case etf_tag::atom:
  case etf_tag::atom_utf8:
  case etf_tag::small_atom:
  case etf_tag::small_atom_utf8:
    return atom_value();
  case etf_tag::nil:
    ++pos_;
    return json::array();
  case etf_tag::string:
    return byte_list();
  case etf_tag::list:
    return list(depth + 1);
  case etf_tag::map:
    return map(depth + 1);
  default:
    fail("a term that is not a JSON value");
  }
}

json etf_reader::binary() {
  ++pos_; // the tag
  auto text = bytes(u32());
  // A JSON string is text; an Elixir binary of raw bytes is not one.
  if (!is_valid_utf8(text))
    fail("a binary that is not UTF-8");
  return std::string{text};
}

json etf_reader::byte_list() {
  ++pos_; // the tag
  auto elements = bytes(u16());
  json out = json::array();
  for (char c : elements)
    out.push_back(std::int64_t{static_cast<std::uint8_t>(c)});
  return out;
}

json etf_reader::list(std::size_t depth) {
  if (depth > etf::max_depth)
    fail("nested too deep");
  ++pos_; // the tag
  std::size_t length = u32();
  require_room(length, 1);
  json out = json::array();
  for (std::size_t i = 0; i < length; ++i)
    out.push_back(value(depth));
  // JSON has no improper lists ([a | b]).
  if (static_cast<etf_tag>(u8()) != etf_tag::nil)
    fail("an improper list");
  return out;
}

json etf_reader::map(std::size_t depth) {
  if (depth > etf::max_depth)
    fail("nested too deep");
  std::size_t arity = map_arity();
  json out = json::object();
  for (std::size_t i = 0; i < arity; ++i) {
    if (peek() != etf_tag::binary)
      fail("a map key that is not a binary");
    auto key = binary().get<std::string>();
    if (out.contains(key))
      fail("a map key twice");
    out[key] = value(depth);
  }
  return out;
}

json etf_reader::big(std::size_t digits) {
  bool negative = u8() != 0;
  auto le = bytes(digits);
  std::uint64_t magnitude = 0;
  // Little-endian: a non-zero byte past the eighth is beyond 64 bits.
  for (std::size_t i = le.size(); i-- > 0;) {
    auto b = static_cast<std::uint8_t>(le[i]);
    if (i >= 8 && b != 0)
      fail("an integer beyond 64 bits");
    if (i < 8)
      magnitude |= static_cast<std::uint64_t>(b) << (8 * i);
  }
  constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative)
    return magnitude <= int64_max ? json(static_cast<std::int64_t>(magnitude)) : json(magnitude);
  if (magnitude > int64_max + 1)
    fail("an integer below -2^63");
  // -magnitude computed in unsigned arithmetic, then reinterpreted: defined
  // for every value down to -2^63.
  return static_cast<std::int64_t>(0 - magnitude);
}

json etf_reader::float64() {
  std::uint64_t bits = 0;
  for (char c : bytes(8))
    bits = (bits << 8) | static_cast<std::uint8_t>(c);
  double value = 0;
  std::memcpy(&value, &bits, sizeof value);
  // binary_to_term refuses NaN and infinity; JSON cannot carry them either.
  if (!std::isfinite(value))
    fail("a float that is not finite");
  return value;
}

json etf_reader::atom_value() {
  auto name = atom();
  if (name == "true")
    return true;
  if (name == "false")
    return false;
  if (name == "nil")
    return nullptr;
  fail("an atom other than true, false and nil");
}

std::uint8_t etf_reader::u8() {
  return static_cast<std::uint8_t>(bytes(1)[0]);
}

std::uint16_t etf_reader::u16() {
  auto b = bytes(2);
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(b[0]) << 8)
                                    | static_cast<std::uint8_t>(b[1]));
}

std::uint32_t etf_reader::u32() {
  std::uint32_t v = 0;
  for (char c : bytes(4))
    v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

std::string_view etf_reader::bytes(std::size_t n) {
  if (n > in_.size() - pos_)
    fail("truncated term");
  auto out = in_.substr(pos_, n);
  pos_ += n;
  return out;
}

void etf_reader::require_room(std::size_t count, std::size_t min_size) const {
  // Checked before reserving or looping, so a forged length costs nothing.
  if (count > (in_.size() - pos_) / min_size)
    fail("a length beyond the bytes left");
}

} // namespace phx::token::detail
