#include "phx/protocol/serializer.hpp"

#include <charconv>
#include <stdexcept>

namespace phx {

frame serializer::encode_reply(const json& join_ref, const json& ref,
                               std::string_view topic, std::string_view status,
                               const json& response) const {
  if (response.is_binary())
    return encode_binary_reply(join_ref, ref, topic, status, response);
  return encode(message{join_ref, ref, std::string{topic}, events::reply,
                        json{{"status", status}, {"response", response}}});
}

frame serializer::encode_broadcast(std::string_view topic, std::string_view event,
                                   const json& payload) const {
  if (payload.is_binary())
    return encode_binary_broadcast(topic, event, payload);
  return encode(message{nullptr, nullptr, std::string{topic}, std::string{event}, payload});
}

frame serializer::encode(const json& join_ref, const json& ref, std::string_view topic,
                         std::string_view event, const encoded_json& payload) const {
  // Below this a copy is cheaper than a write of three parts.
  constexpr std::size_t splice_min = 4096;
  if (payload.text().size() < splice_min)
    return encode_text(join_ref, ref, topic, event, payload.text());
  auto around = text_around(join_ref, ref, topic, event, 0);
  return frame::spliced(std::move(around.text), around.payload_at, payload.shared_text());
}

frame serializer::encode_text(const json& join_ref, const json& ref, std::string_view topic,
                              std::string_view event, std::string_view payload) const {
  auto around = text_around(join_ref, ref, topic, event, payload.size());
  around.text.insert(around.payload_at, payload);
  return frame::text(std::move(around.text));
}

frame serializer::encode_binary_reply(const json&, const json&, std::string_view,
                                      std::string_view, const json&) const {
  no_binary();
}

frame serializer::encode_binary_broadcast(std::string_view, std::string_view,
                                          const json&) const {
  no_binary();
}

void serializer::no_binary() const {
  throw std::invalid_argument(std::string{name()} + " cannot carry binary payloads");
}

namespace {

// Reads one decimal semver component; false unless it is all digits.
bool read_component(std::string_view text, unsigned& out) {
  if (text.empty())
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

} // namespace

const serializer* serializer_for_vsn(std::string_view vsn, bool text_only) noexcept {
  if (vsn.empty())
    vsn = "1.0.0";
  // Drop pre-release and build metadata ("2.0.0-rc.1", "2.0.0+abc").
  vsn = vsn.substr(0, vsn.find_first_of("-+"));
  auto dot1 = vsn.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : vsn.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos)
    return nullptr;
  unsigned major = 0, minor = 0, patch = 0;
  if (!read_component(vsn.substr(0, dot1), major)
      || !read_component(vsn.substr(dot1 + 1, dot2 - dot1 - 1), minor)
      || !read_component(vsn.substr(dot2 + 1), patch))
    return nullptr;
  if (major == 1 && minor == 0)
    return &v1_json_serializer();
  if (major == 2 && minor == 0)
    return text_only ? &v2_json_text_serializer() : &v2_json_serializer();
  return nullptr;
}

} // namespace phx
