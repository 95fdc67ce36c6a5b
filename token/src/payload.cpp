#include "payload.hpp"

#include "etf_error.hpp"
#include "etf_reader.hpp"
#include "etf_writer.hpp"

#include <cmath>
#include <limits>

namespace phx::token::detail {

namespace {

[[noreturn]] void fail(const char* what) {
  throw etf_error(what);
}

void write_max_age(etf_writer& out, const token::max_age& age) {
  if (age.is_infinity())
    return out.atom("infinity");
  // Whole seconds as Phoenix writes them; a finer limit as Elixir's float.
  if (age.milliseconds() % 1000 == 0)
    return out.integer(age.milliseconds() / 1000);
  out.float64(static_cast<double>(age.milliseconds()) / 1000.0);
}

std::int64_t read_signed_at(etf_reader& in) {
  auto n = in.number();
  if (!n.is_number_integer() || n.is_number_unsigned()) {
    // A non-negative integer decodes as int64 when it fits; unsigned here
    // means a time past 2^63 ms, which no clock gives.
    fail("signed_at is not an integer millisecond time");
  }
  return n.get<std::int64_t>();
}

token::max_age seconds_to_max_age(const json& n) {
  if (n.is_number_unsigned()) // beyond int64: practically forever
    return token::max_age{std::numeric_limits<std::int64_t>::max()};
  if (n.is_number_integer())
    return token::max_age{n.get<std::int64_t>()};
  // Elixir: trunc(max_age_secs * 1000); clamp what does not fit in int64.
  double ms = std::trunc(n.get<double>() * 1000.0);
  if (ms >= 9.2e18)
    return token::max_age::milliseconds(std::numeric_limits<std::int64_t>::max());
  if (ms <= 0) // Elixir: max_age_secs <= 0 is expired; so is zero here
    return token::max_age::milliseconds(0);
  return token::max_age::milliseconds(static_cast<std::int64_t>(ms));
}

token::max_age read_max_age(etf_reader& in) {
  switch (in.peek()) {
  case etf_tag::atom:
  case etf_tag::atom_utf8:
  case etf_tag::small_atom:
  case etf_tag::small_atom_utf8:
    if (in.atom() != "infinity")
      fail("max_age is an atom other than infinity");
    return token::max_age::infinity();
  default:
    return seconds_to_max_age(in.number());
  }
}

payload read_tuple(etf_reader& in) {
  auto arity = in.tuple_arity();
  if (arity != 2 && arity != 3)
    fail("a tuple that is not {data, signed_at[, max_age]}");
  payload p;
  p.data = in.value();
  p.signed_at_ms = read_signed_at(in);
  if (arity == 3)
    p.max_age = read_max_age(in);
  return p;
}

// Phoenix before Plug.Crypto signed %{data: data, signed: signed_at_ms}.
payload read_legacy_map(etf_reader& in) {
  if (in.map_arity() != 2)
    fail("a map that is not %{data: _, signed: _}");
  payload p;
  bool has_data = false;
  bool has_signed = false;
  for (int i = 0; i < 2; ++i) {
    auto key = in.atom();
    if (key == "data" && !has_data) {
      p.data = in.value();
      has_data = true;
    } else if (key == "signed" && !has_signed) {
      p.signed_at_ms = read_signed_at(in);
      has_signed = true;
    } else {
      fail("a map that is not %{data: _, signed: _}");
    }
  }
  return p;
}

} // namespace

std::string encode_payload(const payload& p) {
  etf_writer out;
  out.version();
  out.tuple_header(3);
  out.value(p.data);
  out.integer(p.signed_at_ms);
  write_max_age(out, p.max_age);
  return std::move(out).take();
}

std::optional<payload> decode_payload(std::string_view bytes) {
  try {
    etf_reader in{bytes};
    in.version();
    auto p = in.peek() == etf_tag::map ? read_legacy_map(in) : read_tuple(in);
    in.expect_end();
    return p;
  } catch (const etf_error&) {
    return std::nullopt;
  }
}

} // namespace phx::token::detail
