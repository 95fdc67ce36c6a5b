#pragma once

#include "phx/protocol/json.hpp"
#include "phx/token/max_age.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace phx::token::detail {

/// What a Phoenix.Token carries, before it is signed: Plug.Crypto's
/// `term_to_binary({data, signed_at_ms, max_age_s})`.
struct payload {
  json data;
  std::int64_t signed_at_ms = 0;
  token::max_age max_age = default_max_age_seconds;
};

/// The ETF of `{data, signed_at_ms, max_age}`. Throws std::invalid_argument
/// for data that phx::token::etf cannot encode.
std::string encode_payload(const payload& p);

/// Reads the 3-tuple, or the shapes older Phoenix and Plug.Crypto signed:
/// `{data, signed_at}` and `%{data: data, signed: signed_at}`, whose max age
/// is the default day. nullopt for anything else.
std::optional<payload> decode_payload(std::string_view bytes);

} // namespace phx::token::detail
