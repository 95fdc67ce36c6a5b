#pragma once

#include <string>

#include <phx/phx.hpp>

/// echo's sign_token and verify_token events: Phoenix.Token's sign/verify
/// with the endpoint's secret_key_base, as a Phoenix app would offer them.
/// `{"salt": s, "data": d}` -> ok `{"token": t}` (max age 86,400 s).
phx::in_result sign_token(const std::string& secret, const phx::json& payload);

/// `{"salt": s, "token": t, "max_age"?: seconds}` -> ok `{"data": d}`, or
/// error `{"reason": "expired" | "invalid" | "missing"}` (missing: null).
phx::in_result verify_token(const std::string& secret, const phx::json& payload);
