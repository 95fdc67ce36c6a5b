#pragma once

#include <string>
#include <string_view>

namespace phx::token {

/// Plug.Crypto.KeyGenerator with Phoenix.Token's settings: PBKDF2 with
/// HMAC-SHA256, 1000 iterations, 32 bytes, the salt naming the token's use.
/// Keys are cached per (secret, salt), as Plug.Crypto does, since a server
/// verifies many tokens with the same few pairs; the cache is bounded so
/// that callers passing ever-new salts cannot grow it without limit.
std::string derive_key(std::string_view secret_key_base, std::string_view salt);

} // namespace phx::token
