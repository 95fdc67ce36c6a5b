#include "phx/token/key_generator.hpp"

#include <openssl/evp.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace phx::token {

namespace {

constexpr int iterations = 1000;
constexpr int key_length = 32;
constexpr std::size_t max_cached_keys = 64;

std::string pbkdf2_sha256(std::string_view secret, std::string_view salt) {
  std::string key(key_length, '\0');
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), key_length,
                        reinterpret_cast<unsigned char*>(key.data()))
      != 1)
    throw std::runtime_error("cannot derive a token key (OpenSSL PBKDF2)");
  return key;
}

class key_cache {
public:
  std::string get(std::string_view secret, std::string_view salt) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto id = std::make_pair(std::string{secret}, std::string{salt});
    if (auto it = keys_.find(id); it != keys_.end())
      return it->second;
    if (keys_.size() >= max_cached_keys) // rare: start over rather than track use
      keys_.clear();
    auto key = pbkdf2_sha256(secret, salt);
    keys_.emplace(std::move(id), key);
    return key;
  }

private:
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::string> keys_;
};

} // namespace

std::string derive_key(std::string_view secret_key_base, std::string_view salt) {
  static key_cache cache;
  return cache.get(secret_key_base, salt);
}

} // namespace phx::token
