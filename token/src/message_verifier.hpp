#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phx::token::detail {

/// The HMAC digests Plug.Crypto.MessageVerifier knows, each named in the
/// token's first part by base64url of its JWS name ("HS256" -> "SFMyNTY").
enum class digest { sha256, sha384, sha512 };

/// Plug.Crypto.MessageVerifier.sign/3:
/// `<header>.<base64url(message)>.<base64url(HMAC(key, header.base64url(message)))>`.
std::string sign_message(std::string_view message, std::string_view key,
                         digest d = digest::sha256);

/// Plug.Crypto.MessageVerifier.verify/2: the message when `token` has exactly
/// three parts, a known header, valid base64url, and a MAC that matches in
/// constant time; nullopt otherwise.
std::optional<std::string> verify_message(std::string_view token, std::string_view key);

} // namespace phx::token::detail
