#include "peer_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace phx::detail {

namespace {

// Binds the derived key to this use: the same secret could sign other things.
constexpr std::string_view key_salt = "phx cluster peer";
constexpr int key_rounds = 1000;

} // namespace

peer_auth::peer_auth(std::string_view secret) {
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(key_salt.data()),
                        static_cast<int>(key_salt.size()), key_rounds, EVP_sha256(),
                        static_cast<int>(key_.size()), key_.data())
      != 1)
    throw std::runtime_error("cannot derive the cluster key (OpenSSL PBKDF2)");
}

std::string peer_auth::nonce() {
  std::string out(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("no random bytes for a cluster handshake (OpenSSL RAND_bytes)");
  return out;
}

std::string peer_auth::dialer_proof(std::string_view dialer_nonce,
                                    std::string_view acceptor_nonce) const {
  return proof("dialer", dialer_nonce, acceptor_nonce);
}

std::string peer_auth::acceptor_proof(std::string_view dialer_nonce,
                                      std::string_view acceptor_nonce) const {
  return proof("acceptor", dialer_nonce, acceptor_nonce);
}

bool peer_auth::same(std::string_view expected, std::string_view given) noexcept {
  return expected.size() == given.size()
         && CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::string peer_auth::proof(std::string_view role, std::string_view dialer_nonce,
                             std::string_view acceptor_nonce) const {
  // Length-prefixed fields: no two different inputs make the same text.
  std::string data;
  for (auto field : {role, dialer_nonce, acceptor_nonce}) {
    data += std::to_string(field.size());
    data += ':';
    data += field;
  }
  std::string out(32, '\0');
  unsigned int size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &size);
  out.resize(size);
  return out;
}

} // namespace phx::detail
