#include "phx/token.hpp"

#include "expiry.hpp"
#include "phx/token/key_generator.hpp"
#include "message_verifier.hpp"
#include "payload.hpp"

#include <chrono>

namespace phx::token {

namespace {

// System.os_time(:millisecond): wall-clock time, since tokens travel
// between machines.
std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

std::string sign(std::string_view secret_key_base, std::string_view salt, const json& data,
                 const sign_options& options) {
  detail::payload p{data, options.signed_at_ms.value_or(system_now_ms()), options.max_age};
  return detail::sign_message(detail::encode_payload(p),
                              derive_key(secret_key_base, salt));
}

verify_result verify(std::string_view secret_key_base, std::string_view salt,
                     std::string_view token, const verify_options& options) {
  auto message = detail::verify_message(token, derive_key(secret_key_base, salt));
  if (!message)
    return verify_result::failure(error::invalid);
  // Decoded only once the MAC matched: the bytes are the signer's.
  auto p = detail::decode_payload(*message);
  if (!p)
    return verify_result::failure(error::invalid);
  auto age = options.max_age.value_or(p->max_age);
  if (detail::expired(p->signed_at_ms, age, options.now_ms.value_or(system_now_ms())))
    return verify_result::failure(error::expired);
  return verify_result::success(std::move(p->data));
}

verify_result verify(std::string_view secret_key_base, std::string_view salt, const json& token,
                     const verify_options& options) {
  if (token.is_null())
    return verify_result::failure(error::missing);
  if (!token.is_string())
    return verify_result::failure(error::invalid);
  return verify(secret_key_base, salt, std::string_view{token.get_ref<const std::string&>()},
                options);
}

verify_result verify(std::string_view secret_key_base, std::string_view salt,
                     const std::string& token, const verify_options& options) {
  return verify(secret_key_base, salt, std::string_view{token}, options);
}

verify_result verify(std::string_view secret_key_base, std::string_view salt, const char* token,
                     const verify_options& options) {
  if (token == nullptr)
    return verify_result::failure(error::missing);
  return verify(secret_key_base, salt, std::string_view{token}, options);
}

} // namespace phx::token
