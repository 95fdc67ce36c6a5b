#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace phx::detail {

/// Proof that a peer knows the cluster secret, without sending it: a
/// challenge-response over two fresh nonces, one from each side.
///
///     dialer   -> acceptor: hello(version, name, nonce_d)
///     acceptor -> dialer:   nonce_a
///     dialer   -> acceptor: auth(dialer_proof(nonce_d, nonce_a))
///     acceptor -> dialer:   acceptor_proof(nonce_d, nonce_a)
///
/// Each proof is HMAC-SHA256 over both nonces and the role, keyed by a key
/// derived from the secret, so neither proof can be replayed as the other
/// or in another handshake.
class peer_auth {
public:
  explicit peer_auth(std::string_view secret);

  /// 16 fresh random bytes.
  static std::string nonce();

  std::string dialer_proof(std::string_view dialer_nonce, std::string_view acceptor_nonce) const;
  std::string acceptor_proof(std::string_view dialer_nonce, std::string_view acceptor_nonce) const;

  /// Constant-time comparison of two proofs.
  static bool same(std::string_view expected, std::string_view given) noexcept;

private:
  std::string proof(std::string_view role, std::string_view dialer_nonce,
                    std::string_view acceptor_nonce) const;

  std::array<std::uint8_t, 32> key_{};
};

} // namespace phx::detail
