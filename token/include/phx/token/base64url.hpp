#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phx::token {

/// Base64 with the URL alphabet (`-`, `_`) and no padding: Elixir's
/// `Base.url_encode64(bytes, padding: false)`.
std::string base64url_encode(std::string_view bytes);

/// The inverse, strictly: no padding, no other characters, and zero spare
/// bits in the last character, so that each byte string has one text form
/// and a token cannot be altered without changing what it decodes to.
/// (Elixir ignores the spare bits; no token Phoenix writes has any set.)
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace phx::token
