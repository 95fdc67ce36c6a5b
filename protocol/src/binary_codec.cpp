#include "phx/protocol/binary_codec.hpp"

#include <initializer_list>
#include <stdexcept>

namespace phx::binary_codec {

namespace {

// The header (kind, then each field's length), the fields, the payload.
std::string encode(kind k, std::initializer_list<std::pair<const char*, std::string_view>> fields,
                   std::string_view payload) {
  std::size_t size = 1 + fields.size() + payload.size();
  for (auto& [name, value] : fields) {
    if (value.size() > max_field_size)
      throw std::length_error(std::string{"binary frame field "} + name + " is " +
                              std::to_string(value.size()) + " bytes; at most 255 fit");
    size += value.size();
  }
  std::string out;
  out.reserve(size);
  out.push_back(static_cast<char>(k));
  for (auto& field : fields)
    out.push_back(static_cast<char>(static_cast<unsigned char>(field.second.size())));
  for (auto& field : fields)
    out.append(field.second);
  out.append(payload);
  return out;
}

} // namespace

std::optional<client_push> decode_push(std::string_view frame, std::string& error) {
  constexpr std::size_t header = 5;
  if (frame.size() < header) {
    error = "binary frame shorter than its 5-byte header";
    return std::nullopt;
  }
  if (static_cast<unsigned char>(frame[0]) != static_cast<unsigned char>(kind::push)) {
    error = "binary frame of kind " + std::to_string(static_cast<unsigned char>(frame[0])) +
            " (clients may only push, kind 0)";
    return std::nullopt;
  }
  std::size_t lengths[4];
  std::size_t total = header;
  for (std::size_t i = 0; i < 4; ++i) {
    lengths[i] = static_cast<unsigned char>(frame[1 + i]);
    total += lengths[i];
  }
  if (total > frame.size()) {
    error = "binary frame fields run past its end";
    return std::nullopt;
  }
  client_push out;
  std::string* fields[4] = {&out.join_ref, &out.ref, &out.topic, &out.event};
  std::size_t at = header;
  for (std::size_t i = 0; i < 4; ++i) {
    fields[i]->assign(frame.substr(at, lengths[i]));
    at += lengths[i];
  }
  out.payload.assign(frame.substr(at));
  return out;
}

std::string encode_push(std::string_view join_ref, std::string_view topic,
                        std::string_view event, std::string_view payload) {
  return encode(kind::push, {{"join_ref", join_ref}, {"topic", topic}, {"event", event}},
                payload);
}

std::string encode_reply(std::string_view join_ref, std::string_view ref,
                         std::string_view topic, std::string_view status,
                         std::string_view payload) {
  return encode(kind::reply,
                {{"join_ref", join_ref}, {"ref", ref}, {"topic", topic}, {"status", status}},
                payload);
}

std::string encode_broadcast(std::string_view topic, std::string_view event,
                             std::string_view payload) {
  return encode(kind::broadcast, {{"topic", topic}, {"event", event}}, payload);
}

} // namespace phx::binary_codec
