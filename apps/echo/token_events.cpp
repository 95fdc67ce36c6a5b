#include "token_events.hpp"

using phx::in_result;
using phx::json;

namespace {

// A request without a string salt is the client's mistake, said as such.
const json* salt_of(const json& payload) {
  auto salt = payload.find("salt");
  return salt != payload.end() && salt->is_string() ? &*salt : nullptr;
}

} // namespace

in_result sign_token(const std::string& secret, const json& payload) {
  auto* salt = salt_of(payload);
  if (!salt)
    return in_result::error({{"reason", "salt must be a string"}});
  try {
    auto data = payload.value("data", json{});
    return in_result::ok({{"token", phx::token::sign(secret, salt->get<std::string>(), data)}});
  } catch (const std::invalid_argument& e) {
    return in_result::error({{"reason", e.what()}});
  }
}

in_result verify_token(const std::string& secret, const json& payload) {
  auto* salt = salt_of(payload);
  if (!salt)
    return in_result::error({{"reason", "salt must be a string"}});
  phx::token::verify_options options;
  if (auto age = payload.find("max_age"); age != payload.end() && age->is_number_integer())
    options.max_age = phx::token::max_age{age->get<std::int64_t>()};
  auto result =
    phx::token::verify(secret, salt->get<std::string>(), payload.value("token", json{}), options);
  if (!result)
    return in_result::error({{"reason", std::string{phx::token::to_string(result.error())}}});
  return in_result::ok({{"data", result.data()}});
}
