#pragma once

#include <string>
#include <string_view>

#include "phx/protocol/close_code.hpp"
#include "phx/protocol/encoded_json.hpp"
#include "phx/protocol/frame.hpp"
#include "phx/protocol/json_reader.hpp"
#include "phx/protocol/message.hpp"

namespace phx {

/// The outcome of decoding one incoming frame: a message, or why not.
struct decode_result {
  message msg;
  std::string error; ///< empty on success
  /// How to close the connection on an error: 1007 for a frame that does
  /// not decode, 1003 for a kind of frame the protocol version cannot carry.
  close_code code = close_code::invalid_payload;

  bool ok() const noexcept { return error.empty(); }
};

/// Turns messages into frames and frames into messages for one protocol
/// version. Serializers are stateless singletons: compare them by address.
class serializer {
public:
  virtual ~serializer() = default;

  /// A small dense index (0, 1, ...) for per-serializer caches.
  virtual std::size_t index() const noexcept = 0;

  /// "v1_json", "v2_json": for log lines.
  virtual const char* name() const noexcept = 0;

  /// Decodes a client frame; `binary` is the WebSocket opcode. A value in
  /// any slot (payload, refs, topic, event) may nest at most `max_json_depth`
  /// levels; the frame's own array or object does not count.
  virtual decode_result decode(std::string_view data, bool binary,
                               std::size_t max_json_depth) const = 0;

  /// Decodes with the default depth limit (`default_max_json_depth`).
  decode_result decode(std::string_view data, bool binary) const {
    return decode(data, binary, default_max_json_depth);
  }

  /// Encodes a push, broadcast, phx_close or phx_error. A payload of raw
  /// bytes (`json::binary(...)`) becomes a binary frame where the version
  /// has one; elsewhere encoding throws std::invalid_argument.
  virtual frame encode(const message& msg) const = 0;

  /// Encodes a push whose payload is already JSON text: the frame shares
  /// that text (a big one is spliced in, not copied; see frame).
  frame encode(const json& join_ref, const json& ref, std::string_view topic,
               std::string_view event, const encoded_json& payload) const;

  /// Encodes a `phx_reply`: payload `{"status": status, "response": response}`,
  /// or the binary reply layout when `response` holds raw bytes.
  frame encode_reply(const json& join_ref, const json& ref, std::string_view topic,
                     std::string_view status, const json& response) const;

  /// Encodes a broadcast (fastlane): no join_ref, no ref.
  frame encode_broadcast(std::string_view topic, std::string_view event,
                         const json& payload) const;

protected:
  /// A text frame without its payload, and the offset where the payload's
  /// JSON text goes.
  struct frame_around {
    std::string text;
    std::size_t payload_at;
  };
  virtual frame_around text_around(const json& join_ref, const json& ref,
                                   std::string_view topic, std::string_view event,
                                   std::size_t payload_size) const = 0;

  /// The text frame with `payload` (JSON text) in its place.
  frame encode_text(const json& join_ref, const json& ref, std::string_view topic,
                    std::string_view event, std::string_view payload) const;

  /// Binary layouts of a reply and a broadcast; the default (a version
  /// without binary frames) throws std::invalid_argument.
  virtual frame encode_binary_reply(const json& join_ref, const json& ref,
                                    std::string_view topic, std::string_view status,
                                    const json& response) const;
  virtual frame encode_binary_broadcast(std::string_view topic, std::string_view event,
                                        const json& payload) const;

  /// Throws the error of a version that cannot carry raw bytes.
  [[noreturn]] void no_binary() const;
};

/// Number of serializers the library ships (the bound of `serializer::index`).
inline constexpr std::size_t serializer_count = 3;

/// Phoenix's V1 JSON object frames (vsn 1.0.x).
const serializer& v1_json_serializer() noexcept;

/// Phoenix's V2 JSON array frames (vsn 2.0.x), the stock JS client's format.
const serializer& v2_json_serializer() noexcept;

/// V2 JSON for a transport that carries text only (long-poll): it decodes
/// binary pushes like V2, but encoding raw bytes throws, so that a binary
/// broadcast skips its subscribers as it skips V1 clients.
const serializer& v2_json_text_serializer() noexcept;

/// Picks the serializer for a client's `vsn` query parameter as Phoenix does:
/// absent means 1.0.0, `~> 1.0.0` is V1, `~> 2.0.0` is V2 (its text-only
/// form when `text_only`). Returns nullptr for a vsn that is not full semver
/// or matches nothing, which the transport answers with HTTP 403.
const serializer* serializer_for_vsn(std::string_view vsn, bool text_only = false) noexcept;

} // namespace phx
