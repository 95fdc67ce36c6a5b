#include "http/broadcast_api.hpp"

#include "phx/protocol/json.hpp"
#include "phx/protocol/json_reader.hpp"
#include "http/header_text.hpp"

namespace phx::detail {

namespace {

http_response error_response(unsigned status, const std::string& why) {
  return http_response::json_text(status, dump_json(json{{"error", why}}));
}

// Compares in time independent of where the texts differ, so that the key
// cannot be guessed byte by byte from answer times.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return diff == 0;
}

bool has_bearer(std::string_view authorization, std::string_view key) {
  constexpr std::string_view scheme = "Bearer ";
  if (!iequals(authorization.substr(0, scheme.size()), scheme))
    return false;
  return same_secret(authorization.substr(scheme.size()), key);
}

} // namespace

http_handler make_broadcast_api(phx::pubsub pubsub, bool loopback_only, std::string api_key,
                                std::size_t max_json_depth) {
  return [pubsub = std::move(pubsub), loopback_only, api_key = std::move(api_key),
          max_json_depth](const http_request& req) {
    if (!api_key.empty()) {
      if (!has_bearer(req.authorization, api_key)) {
        auto res = error_response(401, "the broadcast API needs Authorization: Bearer <key>");
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
        return res;
      }
    } else if (loopback_only && !req.peer_is_loopback) {
      return error_response(403, "the broadcast API only answers loopback clients");
    }
    // The body object is one level above the payload it carries.
    if (json_nests_deeper_than(req.body, max_json_depth + 1))
      return error_response(400, "the body nests deeper than " + std::to_string(max_json_depth)
                                   + " levels below its object");
    std::string why;
    auto body = read_client_json(req.body, max_json_depth + 1, why);
    if (!body)
      return error_response(400, "body is " + why);
    if (!body->is_object())
      return error_response(400, "body must be a JSON object");
    auto topic = body->find("topic");
    auto event = body->find("event");
    auto payload = body->find("payload");
    if (topic == body->end() || !topic->is_string() || topic->get_ref<const std::string&>().empty())
      return error_response(400, "\"topic\" must be a non-empty string");
    // "phx:" topics carry the server's own traffic (presence replication).
    if (topic->get_ref<const std::string&>().rfind("phx:", 0) == 0)
      return error_response(400, "topics starting with \"phx:\" are reserved");
    if (event == body->end() || !event->is_string() || event->get_ref<const std::string&>().empty())
      return error_response(400, "\"event\" must be a non-empty string");
    if (payload == body->end() || !payload->is_object())
      return error_response(400, "\"payload\" must be a JSON object");
    if (auto err = pubsub.broadcast(topic->get<std::string>(), event->get<std::string>(),
                                    std::move(*payload)))
      return error_response(500, "broadcast failed");
    return http_response::json_text(202, R"({"status":"accepted"})");
  };
}

} // namespace phx::detail
