#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace phx::detail {

/// Signs and verifies long-poll session tokens. A token names a session id
/// and carries an HMAC-SHA256 over it, keyed by a key derived from the
/// endpoint's secret_key_base (PBKDF2-HMAC-SHA256, 1000 rounds, as
/// Phoenix.Token derives its keys). The client only echoes the token; a
/// token that was forged, altered or signed with another secret does not
/// verify, so it cannot reach a session it was not given.
///
/// Text form: `base64url(session id) "." base64url(mac)`, no padding.
class session_token {
public:
  explicit session_token(std::string_view secret_key_base);

  /// A fresh session id: 16 random bytes.
  static std::string new_session_id();

  /// The token for `session_id`.
  std::string sign(std::string_view session_id) const;

  /// The session id `token` names, or nullopt when it does not verify.
  std::optional<std::string> verify(std::string_view token) const;

  /// A random secret (for an endpoint that was given none).
  static std::string generate_secret();

private:
  std::array<std::uint8_t, 32> mac(std::string_view data) const;

  std::array<std::uint8_t, 32> key_{};
};

} // namespace phx::detail
