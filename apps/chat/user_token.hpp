#pragma once

#include <optional>
#include <string>

#include <phx/phx.hpp>

// How the chat knows who is who, the way Phoenix's docs teach it: the page
// asks the server for a signed token for its name (POST /token), then
// connects its socket with that token; the socket handler verifies it. A
// real app would issue the token only after a login; the demo trusts any
// name, but nobody can connect under a name without a token from us.

/// POST /token with {"name": "ada"} -> {"token": "SFMyNTY..."}; 400 for a
/// missing or overlong name.
phx::http_handler issue_user_token(std::string secret_key_base);

/// The name a token from issue_user_token carries, if it is valid and less
/// than two weeks old.
std::optional<std::string> verify_user_token(const std::string& secret_key_base,
                                             const phx::json& token);
