#include "message_verifier.hpp"

#include "phx/token/base64url.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace phx::token::detail {

namespace {

struct algorithm {
  digest d;
  std::string_view header; // base64url of "HS256", "HS384", "HS512"
};

constexpr std::array<algorithm, 3> algorithms{{
    {digest::sha256, "SFMyNTY"},
    {digest::sha384, "SFMzODQ"},
    {digest::sha512, "SFM1MTI"},
}};

const EVP_MD* evp_of(digest d) {
  switch (d) {
  case digest::sha384:
    return EVP_sha384();
  case digest::sha512:
    return EVP_sha512();
  default:
    return EVP_sha256();
  }
}

std::string_view header_of(digest d) {
  for (const auto& a : algorithms)
    if (a.d == d)
      return a.header;
  throw std::invalid_argument("unknown digest");
}

const algorithm* algorithm_of(std::string_view header) {
  for (const auto& a : algorithms)
    if (a.header == header)
      return &a;
  return nullptr;
}

std::string hmac(digest d, std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (HMAC(evp_of(d), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size)
      == nullptr)
    throw std::runtime_error("cannot compute a token's MAC (OpenSSL HMAC)");
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Plug splits on every "." and wants exactly three parts.
std::optional<std::array<std::string_view, 3>> split3(std::string_view token) {
  std::array<std::string_view, 3> parts;
  for (std::size_t i = 0; i < 2; ++i) {
    auto dot = token.find('.');
    if (dot == std::string_view::npos)
      return std::nullopt;
    parts[i] = token.substr(0, dot);
    token.remove_prefix(dot + 1);
  }
  if (token.find('.') != std::string_view::npos)
    return std::nullopt;
  parts[2] = token;
  return parts;
}

} // namespace

std::string sign_message(std::string_view message, std::string_view key, digest d) {
  std::string plain_text{header_of(d)};
  plain_text += '.';
  plain_text += base64url_encode(message);
  auto signature = base64url_encode(hmac(d, key, plain_text));
  return plain_text + '.' + signature;
}

std::optional<std::string> verify_message(std::string_view token, std::string_view key) {
  auto parts = split3(token);
  if (!parts)
    return std::nullopt;
  auto [header, payload, signature] = *parts;
  const auto* algorithm = algorithm_of(header);
  if (algorithm == nullptr)
    return std::nullopt;
  auto message = base64url_decode(payload);
  auto mac = base64url_decode(signature);
  if (!message || !mac)
    return std::nullopt;
  // The MAC covers the text as sent: header, dot, payload in base64url.
  auto plain_text = token.substr(0, header.size() + 1 + payload.size());
  if (!same_bytes(hmac(algorithm->d, key, plain_text), *mac))
    return std::nullopt;
  return message;
}

} // namespace phx::token::detail
