#pragma once

#include <string_view>

namespace phx::token {

/// Why `verify` refused a token: Phoenix.Token's `{:error, reason}`.
enum class error {
  expired, ///< well-formed and authentic, but older than its max age
  invalid, ///< malformed, forged, signed with another secret or salt
  missing, ///< no token at all (JSON null), as Phoenix says for `nil`
};

/// "expired", "invalid" or "missing": the atom Phoenix returns.
std::string_view to_string(error e) noexcept;

} // namespace phx::token
