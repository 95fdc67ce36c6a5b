#include "ws_codec.hpp"

#include <cstring>

namespace bench {

void ws_append_frame(std::string& out, uint8_t opcode, std::string_view payload, uint32_t mask) {
  size_t n = payload.size();
  char hdr[14];
  size_t h = 0;
  hdr[h++] = char(0x80 | opcode);
  if (n < 126) {
    hdr[h++] = char(0x80 | n);
  } else if (n < 65536) {
    hdr[h++] = char(0x80 | 126);
    hdr[h++] = char(n >> 8);
    hdr[h++] = char(n);
  } else {
    hdr[h++] = char(0x80 | 127);
    for (int i = 7; i >= 0; --i)
      hdr[h++] = char(uint64_t(n) >> (8 * i));
  }
  unsigned char key[4] = {uint8_t(mask >> 24), uint8_t(mask >> 16), uint8_t(mask >> 8),
                          uint8_t(mask)};
  std::memcpy(hdr + h, key, 4);
  h += 4;
  size_t start = out.size();
  out.append(hdr, h);
  out.append(payload.data(), n);
  char* p = &out[start + h];
  for (size_t i = 0; i < n; ++i)
    p[i] = char(p[i] ^ key[i & 3]);
}

namespace {

// The payload length and header size of the frame starting `buf`; false
// while its header is incomplete.
bool parse_header(std::string_view buf, uint64_t& len, size_t& h) {
  if (buf.size() < 2)
    return false;
  len = uint8_t(buf[1]) & 0x7f;
  h = 2;
  if (len == 126) {
    if (buf.size() < 4)
      return false;
    len = (uint64_t(uint8_t(buf[2])) << 8) | uint8_t(buf[3]);
    h = 4;
  } else if (len == 127) {
    if (buf.size() < 10)
      return false;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | uint8_t(buf[2 + i]);
    h = 10;
  }
  return true;
}

constexpr uint64_t max_payload = uint64_t(1) << 30;

} // namespace

ws_decode ws_parse_frame(std::string_view buf, ws_frame& out) {
  uint64_t len = 0;
  size_t h = 0;
  if (!parse_header(buf, len, h))
    return ws_decode::incomplete;
  if (uint8_t(buf[1]) & 0x80) // servers must not mask
    return ws_decode::error;
  if (len > max_payload)
    return ws_decode::error;
  if (buf.size() < h + len)
    return ws_decode::incomplete;
  auto b0 = uint8_t(buf[0]);
  out.fin = b0 & 0x80;
  out.opcode = b0 & 0x0f;
  out.payload = buf.substr(h, size_t(len));
  out.size = h + size_t(len);
  return ws_decode::ok;
}

size_t ws_frame_size(std::string_view buf) {
  uint64_t len = 0;
  size_t h = 0;
  if (!parse_header(buf, len, h) || len > max_payload)
    return 0;
  return h + size_t(len);
}

std::string ws_upgrade_request(const std::string& host, int port, const std::string& path) {
  // A fixed key is fine: we do not verify Sec-WebSocket-Accept, only the 101.
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

long ws_upgrade_response(std::string_view buf) {
  auto end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return buf.size() > 16384 ? -1 : 0;
  if (buf.substr(0, 12) != "HTTP/1.1 101")
    return -1;
  return long(end + 4);
}

} // namespace bench
