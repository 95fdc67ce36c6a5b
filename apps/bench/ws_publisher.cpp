#include "ws_publisher.hpp"

#include "phx_frame.hpp"
#include "ws_codec.hpp"

namespace bench {

bool ws_publisher::send_text(const std::string& text) {
  std::string frame;
  ws_append_frame(frame, ws_text, text, 0x5a17c3e1u);
  return sock_.send_all(frame);
}

bool ws_publisher::next_text(std::string& text) {
  while (true) {
    ws_frame f;
    auto rc = ws_parse_frame(buf_, f);
    if (rc == ws_decode::error)
      return false;
    if (rc == ws_decode::ok) {
      bool is_text = f.opcode == ws_text;
      bool is_close = f.opcode == ws_close;
      if (is_text)
        text.assign(f.payload.data(), f.payload.size());
      buf_.erase(0, f.size);
      if (is_close)
        return false;
      if (is_text)
        return true;
      continue; // ping/pong/binary: not ours to care about here
    }
    if (!sock_.recv_some(buf_))
      return false;
  }
}

bool ws_publisher::open(std::string& error) {
  if (!sock_.connect(o_.host, o_.port, 5000, o_.tls)) {
    error = "publisher: cannot connect";
    return false;
  }
  if (!sock_.send_all(ws_upgrade_request(o_.host, o_.port, o_.path))) {
    error = "publisher: send failed";
    return false;
  }
  long hdr = 0;
  while ((hdr = ws_upgrade_response(buf_)) == 0)
    if (!sock_.recv_some(buf_)) {
      error = "publisher: no upgrade response";
      return false;
    }
  if (hdr < 0) {
    error = "publisher: upgrade refused";
    return false;
  }
  buf_.erase(0, size_t(hdr));
  send_text(phx_join_frame(o_.topic, "j0"));
  std::string text;
  phx_msg m;
  while (next_text(text))
    if (phx_scan(text, m) && m.ref == "j0") {
      if (phx_reply_ok(m))
        return true;
      break;
    }
  error = "publisher: join of " + o_.topic + " failed";
  return false;
}

bool ws_publisher::publish(int64_t seq, const std::string& payload) {
  return send_text(phx_push_frame(o_.topic, "j0", "shout", uint64_t(seq), payload));
}

bool ws_publisher::wait_own_copy(int64_t seq) {
  std::string text;
  phx_msg m;
  int64_t s = -1;
  while (next_text(text))
    if (phx_scan(text, m) && m.event == "shout" && phx_find_int(m.payload, "\"s\"", s) && s == seq)
      return true;
  return false;
}

void ws_publisher::close() {
  std::string frame;
  const char code[2] = {char(1000 >> 8), char(1000 & 0xff)};
  ws_append_frame(frame, ws_close, std::string_view(code, 2), 0x1234567u);
  if (sock_.send_all(frame)) {
    std::string text;
    while (next_text(text)) {
    }
  }
  sock_.close();
}

} // namespace bench
