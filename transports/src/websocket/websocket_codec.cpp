#include "websocket/websocket_codec.hpp"

#include "phx/protocol/utf8.hpp"

namespace phx::detail::ws {

std::size_t encode_header(opcode op, std::size_t size, std::uint8_t* out) noexcept {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op)); // FIN
  if (size < 126) {
    out[1] = static_cast<std::uint8_t>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(size >> 8);
    out[3] = static_cast<std::uint8_t>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(size) >> (56 - 8 * i));
  return 10;
}

std::string close_payload(close_code code, std::string_view reason) {
  auto value = static_cast<std::uint16_t>(code);
  std::string out;
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xFF));
  out.append(reason.substr(0, 123));
  return out;
}

bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
         || (code >= 3000 && code <= 4999);
}

std::optional<protocol_error> check_close_payload(std::string_view payload) {
  if (payload.empty())
    return std::nullopt;
  if (payload.size() == 1)
    return protocol_error{close_code::protocol_error, "close frame with a one-byte body"};
  auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8)
                                         | static_cast<std::uint8_t>(payload[1]));
  if (!is_valid_close_code(code))
    return protocol_error{close_code::protocol_error,
                          "close frame with the invalid code " + std::to_string(code)};
  if (!is_valid_utf8(payload.substr(2)))
    return protocol_error{close_code::invalid_payload, "close reason is not valid UTF-8"};
  return std::nullopt;
}

std::optional<frame_reader::header>
frame_reader::parse_header(const std::uint8_t* p, std::size_t n,
                           std::optional<protocol_error>& error) const {
  if (n < 2)
    return std::nullopt;
  header h{};
  h.fin = (p[0] & 0x80) != 0;
  if (p[0] & 0x70) {
    error = protocol_error{close_code::protocol_error, "reserved bits set (no extension was negotiated)"};
    return std::nullopt;
  }
  h.op = static_cast<opcode>(p[0] & 0x0F);
  if (!(p[1] & 0x80)) {
    error = protocol_error{close_code::protocol_error, "client frames must be masked"};
    return std::nullopt;
  }
  std::size_t length = p[1] & 0x7F;
  std::size_t size = 2;
  if (length == 126) {
    if (n < 4)
      return std::nullopt;
    length = (std::size_t{p[2]} << 8) | p[3];
    size = 4;
  } else if (length == 127) {
    if (n < 10)
      return std::nullopt;
    std::uint64_t wide = 0;
    for (int i = 0; i < 8; ++i)
      wide = (wide << 8) | p[2 + i];
    if (wide > max_message_) { // also rejects the 64-bit values size_t cannot hold
      error = protocol_error{close_code::too_big, "message larger than "
                                                    + std::to_string(max_message_) + " bytes"};
      return std::nullopt;
    }
    length = static_cast<std::size_t>(wide);
    size = 10;
  }
  if (n < size + 4)
    return std::nullopt;
  for (int i = 0; i < 4; ++i)
    h.mask[i] = p[size + i];
  h.size = size + 4;
  h.length = length;
  // Checked before the payload is buffered, so no oversized frame is held.
  if (auto e = check(h))
    error = std::move(e);
  return error ? std::nullopt : std::optional<header>{h};
}

std::optional<protocol_error> frame_reader::check(const header& h) const {
  switch (h.op) {
    case opcode::text:
    case opcode::binary:
      if (in_message_)
        return protocol_error{close_code::protocol_error, "new message inside a fragmented one"};
      if (h.length > max_message_)
        return protocol_error{close_code::too_big,
                              "message larger than " + std::to_string(max_message_) + " bytes"};
      return std::nullopt;
    case opcode::continuation:
      if (!in_message_)
        return protocol_error{close_code::protocol_error, "continuation without a message"};
      if (message_.size() + h.length > max_message_)
        return protocol_error{close_code::too_big,
                              "message larger than " + std::to_string(max_message_) + " bytes"};
      return std::nullopt;
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
      if (!h.fin || h.length > 125)
        return protocol_error{close_code::protocol_error, "malformed control frame"};
      return std::nullopt;
  }
  return protocol_error{close_code::protocol_error, "unknown opcode"};
}

} // namespace phx::detail::ws
