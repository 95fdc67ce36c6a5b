#include "user_token.hpp"

namespace {

// Binds the tokens to this use: a token of another salt never passes.
constexpr const char* salt = "user socket";
constexpr std::int64_t two_weeks = 14 * 24 * 3600;
constexpr std::size_t max_name = 32;

phx::http_response bad_request(const char* why) {
  return phx::http_response::json_text(400, phx::json{{"error", why}}.dump());
}

} // namespace

phx::http_handler issue_user_token(std::string secret_key_base) {
  return [secret = std::move(secret_key_base)](const phx::http_request& req) {
    auto body = phx::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
      return bad_request("expected {\"name\": string}");
    auto name = body["name"].get<std::string>();
    if (name.empty() || name.size() > max_name)
      return bad_request("a name has 1 to 32 characters");
    phx::token::sign_options options;
    options.max_age = two_weeks;
    auto token = phx::token::sign(secret, salt, {{"name", name}}, options);
    return phx::http_response::json_text(200, phx::json{{"token", token}}.dump());
  };
}

std::optional<std::string> verify_user_token(const std::string& secret_key_base,
                                             const phx::json& token) {
  auto result = phx::token::verify(secret_key_base, salt, token);
  if (!result || !result.data().is_object() || !result.data().contains("name"))
    return std::nullopt;
  auto& name = result.data()["name"];
  return name.is_string() ? std::optional<std::string>{name.get<std::string>()} : std::nullopt;
}
