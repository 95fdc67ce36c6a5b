// Phoenix's two JSON serializers. Both are
// stateless; only their singletons are visible, through serializer.hpp.
#include "phx/protocol/binary_codec.hpp"
#include "phx/protocol/json_reader.hpp"
#include "phx/protocol/serializer.hpp"

namespace phx {

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// Parses `data` as JSON without throwing; `error` says why it failed. The
// frame's own array or object is one level above the values it carries, and
// the depth is checked before anything can copy or dump them.
json parse_frame(std::string_view data, std::size_t max_depth, std::string& error) {
  if (json_nests_deeper_than(data, max_depth + 1)) {
    error = "frame holds a value nested deeper than " + std::to_string(max_depth) + " levels";
    return {};
  }
  auto value = json::parse(data, nullptr, false);
  if (value.is_discarded())
    error = "frame is not valid JSON";
  return value;
}

// Checks that a decoded message can be routed: topic and event are strings.
bool take_routing_fields(const json& topic, const json& event, message& msg,
                         std::string& error) {
  if (!topic.is_string() || !event.is_string()) {
    error = "topic and event must be strings";
    return false;
  }
  msg.topic = topic.get<std::string>();
  msg.event = event.get<std::string>();
  return true;
}

/// V1: one JSON object per frame; output never carries join_ref.
class v1_json final : public serializer {
public:
  std::size_t index() const noexcept override { return 0; }
  const char* name() const noexcept override { return "v1_json"; }

  decode_result decode(std::string_view data, bool binary,
                       std::size_t max_json_depth) const override {
    decode_result result;
    if (binary) {
      result.error = "V1 has no binary frames";
      result.code = close_code::unsupported_data;
      return result;
    }
    auto value = parse_frame(data, max_json_depth, result.error);
    if (!result.ok())
      return result;
    if (!value.is_object()) {
      result.error = "V1 frame must be a JSON object";
      return result;
    }
    for (auto key : {"topic", "event", "payload", "ref"}) {
      if (!value.contains(key)) {
        result.error = std::string{"V1 frame lacks the key \""} + key + '"';
        return result;
      }
    }
    if (!take_routing_fields(value["topic"], value["event"], result.msg, result.error))
      return result;
    result.msg.ref = std::move(value["ref"]);
    result.msg.payload = std::move(value["payload"]);
    if (auto i = value.find("join_ref"); i != value.end())
      result.msg.join_ref = std::move(*i);
    return result;
  }

  frame encode(const message& msg) const override {
    if (msg.payload.is_binary())
      no_binary();
    return encode_text(msg.join_ref, msg.ref, msg.topic, msg.event, dump_json(msg.payload));
  }

protected:
  frame_around text_around(const json&, const json& ref, std::string_view topic,
                           std::string_view event, std::size_t payload_size) const override {
    // Keys in Phoenix's order (event, payload, ref, topic); order is irrelevant to clients.
    frame_around out;
    auto& text = out.text;
    text.reserve(64 + topic.size() + event.size() + payload_size);
    text += "{\"event\":";
    text += dump_json(event);
    text += ",\"payload\":";
    out.payload_at = text.size();
    text += ",\"ref\":";
    text += dump_json(ref);
    text += ",\"topic\":";
    text += dump_json(topic);
    text += '}';
    return out;
  }
};

/// V2: `[join_ref, ref, topic, event, payload]` per frame. Over a transport
/// that carries text only (long-poll), raw bytes cannot be encoded; they
/// still decode, as long-poll posts them as base64 lines.
class v2_json final : public serializer {
public:
  explicit v2_json(bool binary_frames) : binary_frames_(binary_frames) {}

  std::size_t index() const noexcept override { return binary_frames_ ? 1 : 2; }
  const char* name() const noexcept override {
    return binary_frames_ ? "v2_json" : "v2_json (text only)";
  }

  decode_result decode(std::string_view data, bool binary,
                       std::size_t max_json_depth) const override {
    decode_result result;
    if (binary)
      return decode_binary(data);
    auto value = parse_frame(data, max_json_depth, result.error);
    if (!result.ok())
      return result;
    if (!value.is_array() || value.size() < 5) {
      result.error = "V2 frame must be a JSON array of five elements";
      return result;
    }
    if (!take_routing_fields(value[2], value[3], result.msg, result.error))
      return result;
    result.msg.join_ref = std::move(value[0]);
    result.msg.ref = std::move(value[1]);
    result.msg.payload = std::move(value[4]);
    return result;
  }

  frame encode(const message& msg) const override {
    if (msg.payload.is_binary() && !binary_frames_)
      no_binary();
    if (msg.payload.is_binary()) // a push (kind 0): no ref
      return binary_frame(binary_codec::encode_push(ref_text(msg.join_ref), msg.topic,
                                                    msg.event, bytes_of(msg.payload)));
    return encode_text(msg.join_ref, msg.ref, msg.topic, msg.event, dump_json(msg.payload));
  }

protected:
  frame_around text_around(const json& join_ref, const json& ref, std::string_view topic,
                           std::string_view event, std::size_t payload_size) const override {
    frame_around out;
    auto& text = out.text;
    text.reserve(48 + topic.size() + event.size() + payload_size);
    text += '[';
    text += dump_json(join_ref);
    text += ',';
    text += dump_json(ref);
    text += ',';
    text += dump_json(topic);
    text += ',';
    text += dump_json(event);
    text += ',';
    out.payload_at = text.size();
    text += ']';
    return out;
  }

  frame encode_binary_reply(const json& join_ref, const json& ref, std::string_view topic,
                            std::string_view status, const json& response) const override {
    if (!binary_frames_)
      no_binary();
    return binary_frame(binary_codec::encode_reply(ref_text(join_ref), ref_text(ref), topic,
                                                   status, bytes_of(response)));
  }

  frame encode_binary_broadcast(std::string_view topic, std::string_view event,
                                const json& payload) const override {
    if (!binary_frames_)
      no_binary();
    return binary_frame(binary_codec::encode_broadcast(topic, event, bytes_of(payload)));
  }

private:
  bool binary_frames_;

  // A client push of raw bytes; empty refs stand for null.
  static decode_result decode_binary(std::string_view data) {
    decode_result result;
    auto push = binary_codec::decode_push(data, result.error);
    if (!push)
      return result;
    auto ref = [](std::string& text) { return text.empty() ? json{} : json(std::move(text)); };
    result.msg.join_ref = ref(push->join_ref);
    result.msg.ref = ref(push->ref);
    result.msg.topic = std::move(push->topic);
    result.msg.event = std::move(push->event);
    result.msg.payload = json::binary(json::binary_t::container_type(push->payload.begin(),
                                                                      push->payload.end()));
    return result;
  }

  // A ref in a binary header: its text, "" for null.
  static std::string ref_text(const json& ref) {
    if (ref.is_null())
      return {};
    return ref.is_string() ? ref.get<std::string>() : dump_json(ref);
  }

  static std::string_view bytes_of(const json& payload) {
    auto& bytes = payload.get_binary();
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }

  static frame binary_frame(std::string bytes) {
    return frame::binary_bytes(std::move(bytes));
  }
};

} // namespace

const serializer& v1_json_serializer() noexcept {
  static const v1_json instance;
  return instance;
}

const serializer& v2_json_serializer() noexcept {
  static const v2_json instance{true};
  return instance;
}

const serializer& v2_json_text_serializer() noexcept {
  static const v2_json instance{false};
  return instance;
}

} // namespace phx
