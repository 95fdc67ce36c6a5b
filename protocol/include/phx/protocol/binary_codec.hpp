#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace phx::binary_codec {

/// Phoenix's V2 binary frame layout (WebSocket opcode 0x2), for payloads that
/// are raw bytes. Each string field is preceded by its length in one byte, so
/// it holds at most 255 bytes; a null join_ref or ref travels as "". The
/// payload runs to the end of the frame. The kind-0 (push) header differs by
/// direction: a client's push carries a ref, a server's does not.
inline constexpr std::size_t max_field_size = 255;

/// The frame kinds (first byte).
enum class kind : unsigned char { push = 0, reply = 1, broadcast = 2 };

/// A client push: `0, len(join_ref), len(ref), len(topic), len(event)`,
/// then those fields and the payload.
struct client_push {
  std::string join_ref; ///< "" for none
  std::string ref;      ///< "" for none
  std::string topic;
  std::string event;
  std::string payload;  ///< raw bytes
};

/// Decodes a client's binary frame; nullopt and `error` set when it is not a
/// well-formed kind-0 frame (servers accept no other kind from clients).
std::optional<client_push> decode_push(std::string_view frame, std::string& error);

/// Encodes a server push (`0, len(join_ref), len(topic), len(event)`, no ref).
/// Throws std::length_error when a field exceeds max_field_size.
std::string encode_push(std::string_view join_ref, std::string_view topic,
                        std::string_view event, std::string_view payload);

/// Encodes a reply (`1, len(join_ref), len(ref), len(topic), len(status)`).
std::string encode_reply(std::string_view join_ref, std::string_view ref,
                         std::string_view topic, std::string_view status,
                         std::string_view payload);

/// Encodes a broadcast (`2, len(topic), len(event)`).
std::string encode_broadcast(std::string_view topic, std::string_view event,
                             std::string_view payload);

} // namespace phx::binary_codec
