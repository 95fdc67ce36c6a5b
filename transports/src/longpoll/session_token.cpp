#include "longpoll/session_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "phx/token/base64url.hpp"
#include "phx/token/key_generator.hpp"

namespace phx::detail {

namespace {

// Binds the derived key to this use, as Phoenix.Token's salt does.
constexpr std::string_view key_salt = "phx long-poll session";
constexpr std::size_t session_id_size = 16;
constexpr std::size_t mac_size = 32;

} // namespace

// Phoenix.Token's key derivation (PBKDF2-SHA256, 1000 rounds, 32 bytes).
session_token::session_token(std::string_view secret_key_base) {
  auto key = phx::token::derive_key(secret_key_base, key_salt);
  std::copy(key.begin(), key.end(), key_.begin());
}

std::string session_token::new_session_id() {
  std::array<std::uint8_t, session_id_size> id;
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1)
    throw std::runtime_error("no random bytes for a long-poll session id (OpenSSL RAND_bytes)");
  return std::string(reinterpret_cast<const char*>(id.data()), id.size());
}

std::string session_token::generate_secret() {
  auto a = new_session_id(), b = new_session_id(), c = new_session_id();
  return phx::token::base64url_encode(a + b + c);
}

std::array<std::uint8_t, 32> session_token::mac(std::string_view data) const {
  std::array<std::uint8_t, mac_size> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return out;
}

std::string session_token::sign(std::string_view session_id) const {
  auto text = phx::token::base64url_encode(session_id);
  auto sig = mac(text);
  text += '.';
  text += phx::token::base64url_encode({reinterpret_cast<const char*>(sig.data()), sig.size()});
  return text;
}

std::optional<std::string> session_token::verify(std::string_view token) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 256)
    return std::nullopt;
  auto signed_part = token.substr(0, dot);
  auto sig = phx::token::base64url_decode(token.substr(dot + 1));
  if (!sig || sig->size() != mac_size)
    return std::nullopt;
  auto expected = mac(signed_part);
  if (CRYPTO_memcmp(expected.data(), sig->data(), mac_size) != 0)
    return std::nullopt;
  return phx::token::base64url_decode(signed_part);
}

} // namespace phx::detail
