#pragma once

// phx::token: Phoenix.Token's signed tokens, interoperable with Elixir. A
// token signed here verifies in Phoenix.Token.verify/4 with the same
// secret_key_base and salt, and the other way round; e.g. a user token that
// a Phoenix application hands to the browser for `new Socket(url, {params:
// {token}})`, checked in a phx::socket_handler:
//
//   bool connect(const phx::params& params, phx::socket& s) override {
//     phx::token::verify_options opts;
//     opts.max_age = 1209600;                  // two weeks, in seconds
//     auto r = phx::token::verify(secret_key_base_, "user socket",
//                                 params.value("token", phx::json()), opts);
//     if (!r)
//       return false;                          // phx::token::to_string(r.error())
//     s.assign("user_id", r.data());
//     return true;
//   }
//
// The token is signed, not encrypted: whoever holds it can read the data.

#include "phx/protocol/json.hpp"
#include "phx/token/error.hpp"
#include "phx/token/etf.hpp"
#include "phx/token/max_age.hpp"
#include "phx/token/sign_options.hpp"
#include "phx/token/verify_options.hpp"
#include "phx/token/verify_result.hpp"

#include <string>
#include <string_view>

namespace phx::token {

/// Phoenix.Token.sign/4: "SFMyNTY.<payload>.<mac>", where the payload is the
/// ETF of `{data, signed_at_ms, max_age_s}` (see phx::token::etf for which
/// JSON becomes which term) and the MAC is HMAC-SHA256 under a key derived
/// from `secret_key_base` and `salt` (PBKDF2-SHA256, 1000 rounds, 32 bytes).
/// Throws std::invalid_argument for data that `verify` could not give back
/// (see etf::encode).
std::string sign(std::string_view secret_key_base, std::string_view salt, const json& data,
                 const sign_options& options = {});

/// Phoenix.Token.verify/4. `token` as it arrived in params: a JSON string
/// is checked, null is `missing`, anything else `invalid`. A token is
/// `invalid` unless it has three parts, a known header (HS256, HS384 or
/// HS512), a MAC that matches, and a payload whose data is JSON; it is
/// `expired` when `signed_at + max_age` (the option's, else the token's)
/// has passed. Tokens signed in the future are accepted, as Plug.Crypto
/// 2.1 accepts them.
verify_result verify(std::string_view secret_key_base, std::string_view salt, const json& token,
                     const verify_options& options = {});

/// The same for a token as text.
verify_result verify(std::string_view secret_key_base, std::string_view salt,
                     std::string_view token, const verify_options& options = {});

/// Overloads that pick the text form for std::string and string literals
/// (each converts to both json and string_view); a null pointer is `missing`.
verify_result verify(std::string_view secret_key_base, std::string_view salt,
                     const std::string& token, const verify_options& options = {});
verify_result verify(std::string_view secret_key_base, std::string_view salt, const char* token,
                     const verify_options& options = {});

} // namespace phx::token
