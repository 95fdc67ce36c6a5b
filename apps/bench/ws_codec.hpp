#pragma once
// Minimal WebSocket (RFC 6455) framing for a client: masked frames out,
// unmasked frames in, no extensions (we never offer permessage-deflate).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

enum ws_opcode : uint8_t { ws_cont = 0, ws_text = 1, ws_binary = 2, ws_close = 8, ws_ping = 9, ws_pong = 10 };

// Appends one complete (FIN) client frame, masked with `mask`.
void ws_append_frame(std::string& out, uint8_t opcode, std::string_view payload, uint32_t mask);

struct ws_frame {
  bool fin = false;
  uint8_t opcode = 0;
  std::string_view payload;
  size_t size = 0; // bytes consumed from the buffer
};

enum class ws_decode { ok, incomplete, error };

// Decodes the frame at the start of `buf`; the payload views into `buf`.
ws_decode ws_parse_frame(std::string_view buf, ws_frame& out);
// The whole size (header and payload) of the frame starting `buf`, once its
// header is there; 0 before.
size_t ws_frame_size(std::string_view buf);

// The HTTP/1.1 upgrade request for `path` on `host:port`.
std::string ws_upgrade_request(const std::string& host, int port, const std::string& path);

// Looks for the end of the server's upgrade response in `buf`. Returns 0 while
// incomplete, the header size when it is a 101, -1 when it is anything else.
long ws_upgrade_response(std::string_view buf);

} // namespace bench
