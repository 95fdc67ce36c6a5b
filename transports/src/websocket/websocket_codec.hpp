#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "phx/protocol/close_code.hpp"

namespace phx::detail::ws {

/// RFC 6455 opcodes.
enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Largest server frame header: 2 bytes + 8 bytes of length (servers never mask).
inline constexpr std::size_t max_header_size = 10;

/// Writes the header of an unfragmented server frame carrying `size` bytes
/// into `out`; returns its length (2, 4 or 10).
std::size_t encode_header(opcode op, std::size_t size, std::uint8_t* out) noexcept;

/// Bytes of an unfragmented server frame carrying `size` bytes: header included.
constexpr std::size_t wire_size(std::size_t size) noexcept {
  return size + (size < 126 ? 2 : size <= 0xFFFF ? 4 : 10);
}

/// The payload of a close frame: the code, big-endian, then the reason
/// (cut to the 123 bytes a control frame allows).
std::string close_payload(close_code code, std::string_view reason);

/// A protocol error found in client bytes: close with `code`, say `why`.
struct protocol_error {
  close_code code;
  std::string why;
};

/// True for a close code a peer may send: 1000-1003, 1007-1014 (RFC 6455
/// 7.4.1 and IANA's registry) and 3000-4999 (libraries, applications).
/// 1004-1006 and 1015 are reserved and must never appear on the wire.
bool is_valid_close_code(std::uint16_t code) noexcept;

/// Checks the body of a client's close frame (RFC 6455 5.5.1): empty, or a
/// valid code followed by a UTF-8 reason. The error to close with otherwise
/// (1002, or 1007 for the reason).
std::optional<protocol_error> check_close_payload(std::string_view payload);

/// Parses client frames (RFC 6455 section 5) incrementally: unmasks,
/// reassembles fragmented messages, and checks what Phoenix's adapters check
/// (masking, reserved bits, control frame rules, the message size bound).
///
/// Handler needs: on_message(std::string&&, bool binary), on_ping(std::string&&),
/// on_close(std::optional<std::uint16_t> code), the latter only for a valid
/// close body (an invalid one is returned as a protocol_error).
class frame_reader {
public:
  explicit frame_reader(std::size_t max_message) : max_message_(max_message) {}

  /// Consumes `n` bytes; calls the handler for each complete message or
  /// control frame. Stops after a close frame. Bytes of an incomplete frame
  /// are kept (at most one frame: max_message plus its header), and so are
  /// the bytes after the frame during which pause() was called.
  template <class Handler>
  std::optional<protocol_error> feed(const char* data, std::size_t n, Handler& handler);

  /// Stops at the end of the current frame: the handler may call this to
  /// apply backpressure exactly, whatever number of frames a read brought.
  void pause() noexcept { paused_ = true; }

  bool paused() const noexcept { return paused_; }

  /// Ends a pause and processes the bytes kept meanwhile (it may pause again).
  template <class Handler>
  std::optional<protocol_error> resume(Handler& handler);

  /// True while bytes are held (an incomplete frame, or frames past a pause).
  bool holds_partial_frame() const noexcept { return !pending_.empty(); }

private:
  struct header {
    bool fin;
    opcode op;
    std::size_t length;     ///< payload bytes
    std::size_t size;       ///< header bytes, mask included
    std::uint8_t mask[4];
  };

  // Parses the header at `p` (n bytes available): nullopt when incomplete.
  std::optional<header> parse_header(const std::uint8_t* p, std::size_t n,
                                     std::optional<protocol_error>& error) const;
  std::optional<protocol_error> check(const header& h) const;

  template <class Handler>
  std::size_t process(const char* data, std::size_t n, Handler& handler,
                      std::optional<protocol_error>& error, bool& stop);

  std::size_t max_message_;
  std::string pending_;   ///< an incomplete frame
  std::string message_;   ///< fragments of an incomplete message
  bool in_message_ = false;
  bool message_binary_ = false;
  bool paused_ = false;
};

// -- template implementation ------------------------------------------------

template <class Handler>
std::optional<protocol_error> frame_reader::feed(const char* data, std::size_t n,
                                                 Handler& handler) {
  std::optional<protocol_error> error;
  bool stop = false;
  if (pending_.empty()) {
    auto used = process(data, n, handler, error, stop);
    if (!error && !stop && used < n)
      pending_.assign(data + used, n - used);
  } else {
    pending_.append(data, n);
    auto used = process(pending_.data(), pending_.size(), handler, error, stop);
    pending_.erase(0, used);
    if (pending_.empty())
      pending_.shrink_to_fit(); // idle connections hold no buffer
  }
  return error;
}

template <class Handler>
std::optional<protocol_error> frame_reader::resume(Handler& handler) {
  paused_ = false;
  if (pending_.empty())
    return std::nullopt;
  return feed(pending_.data(), 0, handler);
}

template <class Handler>
std::size_t frame_reader::process(const char* data, std::size_t n, Handler& handler,
                                  std::optional<protocol_error>& error, bool& stop) {
  std::size_t used = 0;
  while (!error && !stop && !paused_) {
    auto* p = reinterpret_cast<const std::uint8_t*>(data + used);
    auto h = parse_header(p, n - used, error);
    if (!h || n - used < h->size + h->length)
      break; // incomplete (or an error)
    std::string payload(h->length, '\0');
    for (std::size_t i = 0; i < h->length; ++i)
      payload[i] = static_cast<char>(p[h->size + i] ^ h->mask[i % 4]);
    used += h->size + h->length;
    switch (h->op) {
      case opcode::text:
      case opcode::binary:
        if (h->fin) {
          handler.on_message(std::move(payload), h->op == opcode::binary);
        } else {
          in_message_ = true;
          message_binary_ = h->op == opcode::binary;
          message_ = std::move(payload);
        }
        break;
      case opcode::continuation:
        message_ += payload;
        if (h->fin) {
          in_message_ = false;
          handler.on_message(std::move(message_), message_binary_);
          message_ = std::string{};
        }
        break;
      case opcode::ping:
        handler.on_ping(std::move(payload));
        break;
      case opcode::pong:
        break;
      case opcode::close: {
        stop = true;
        if ((error = check_close_payload(payload)))
          break;
        std::optional<std::uint16_t> code;
        if (payload.size() >= 2)
          code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8)
                                            | static_cast<std::uint8_t>(payload[1]));
        handler.on_close(code);
        break;
      }
    }
  }
  return used;
}

} // namespace phx::detail::ws
