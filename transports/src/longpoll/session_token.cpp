#include "longpoll/session_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace phx::detail {

namespace {

// Binds the derived key to this use, as Phoenix.Token's salt does.
constexpr std::string_view key_salt = "phx long-poll session";
constexpr int key_rounds = 1000;
constexpr std::size_t session_id_size = 16;
constexpr std::size_t mac_size = 32;

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6)
      out += alphabet[(n >> shift) & 63];
  }
  if (auto rest = size - i; rest > 0) {
    std::uint32_t n = data[i] << 16;
    if (rest == 2)
      n |= data[i + 1] << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    if (rest == 2)
      out += alphabet[(n >> 6) & 63];
  }
  return out;
}

int digit_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict: no padding, no stray characters, no non-zero spare bits, so that
// every byte string has exactly one text form.
std::optional<std::string> from_base64url(std::string_view text) {
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    auto d = digit_of(c);
    if (d < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;
  return out;
}

} // namespace

session_token::session_token(std::string_view secret_key_base) {
  if (PKCS5_PBKDF2_HMAC(secret_key_base.data(), static_cast<int>(secret_key_base.size()),
                        reinterpret_cast<const unsigned char*>(key_salt.data()),
                        static_cast<int>(key_salt.size()), key_rounds, EVP_sha256(),
                        static_cast<int>(key_.size()), key_.data())
      != 1)
    throw std::runtime_error("cannot derive the long-poll token key (OpenSSL PBKDF2)");
}

std::string session_token::new_session_id() {
  std::array<std::uint8_t, session_id_size> id;
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1)
    throw std::runtime_error("no random bytes for a long-poll session id (OpenSSL RAND_bytes)");
  return std::string(reinterpret_cast<const char*>(id.data()), id.size());
}

std::string session_token::generate_secret() {
  auto a = new_session_id(), b = new_session_id(), c = new_session_id();
  auto all = a + b + c;
  return base64url(reinterpret_cast<const std::uint8_t*>(all.data()), all.size());
}

std::array<std::uint8_t, 32> session_token::mac(std::string_view data) const {
  std::array<std::uint8_t, mac_size> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return out;
}

std::string session_token::sign(std::string_view session_id) const {
  auto text = base64url(reinterpret_cast<const std::uint8_t*>(session_id.data()),
                        session_id.size());
  auto sig = mac(text);
  text += '.';
  text += base64url(sig.data(), sig.size());
  return text;
}

std::optional<std::string> session_token::verify(std::string_view token) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 256)
    return std::nullopt;
  auto signed_part = token.substr(0, dot);
  auto sig = from_base64url(token.substr(dot + 1));
  if (!sig || sig->size() != mac_size)
    return std::nullopt;
  auto expected = mac(signed_part);
  if (CRYPTO_memcmp(expected.data(), sig->data(), mac_size) != 0)
    return std::nullopt;
  return from_base64url(signed_part);
}

} // namespace phx::detail
