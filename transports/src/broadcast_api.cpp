#include "broadcast_api.hpp"

#include "phx/protocol/json.hpp"

namespace phx::detail {

namespace {

http_response error_response(unsigned status, const std::string& why) {
  return http_response::json_text(status, dump_json(json{{"error", why}}));
}

} // namespace

http_handler make_broadcast_api(phx::pubsub pubsub, bool loopback_only) {
  return [pubsub = std::move(pubsub), loopback_only](const http_request& req) {
    if (loopback_only && !req.peer_is_loopback)
      return error_response(403, "the broadcast API only answers loopback clients");
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
      return error_response(400, "body is not valid JSON");
    if (!body.is_object())
      return error_response(400, "body must be a JSON object");
    auto topic = body.find("topic");
    auto event = body.find("event");
    auto payload = body.find("payload");
    if (topic == body.end() || !topic->is_string() || topic->get_ref<const std::string&>().empty())
      return error_response(400, "\"topic\" must be a non-empty string");
    if (event == body.end() || !event->is_string() || event->get_ref<const std::string&>().empty())
      return error_response(400, "\"event\" must be a non-empty string");
    if (payload == body.end() || !payload->is_object())
      return error_response(400, "\"payload\" must be a JSON object");
    if (auto err = pubsub.broadcast(topic->get<std::string>(), event->get<std::string>(),
                                    std::move(*payload)))
      return error_response(500, "broadcast failed");
    return http_response::json_text(202, R"({"status":"accepted"})");
  };
}

} // namespace phx::detail
