#include "ws_connection.hpp"

#include "ws_codec.hpp"

namespace bench {

ws_connection::ws_connection(int epoll_fd, uint32_t slot, connection_handler& handler,
                             const std::string& upgrade)
    : connection(epoll_fd, slot, handler), upgrade_(upgrade),
      mask_state_(slot * 2654435761u + 1) {}

uint32_t ws_connection::next_mask() {
  // xorshift32: masks only need to vary, not to be secret, for a load generator.
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  return mask_state_;
}

void ws_connection::reset() {
  fragments_.clear();
  server_closed_ = false;
}

void ws_connection::on_connected() { send_bytes(upgrade_); }

close_cause ws_connection::end_cause(bool eof) const {
  if (!eof)
    return state_ == conn_state::closing && !server_closed_ ? close_cause::local
                                                            : close_cause::reset;
  if (state_ == conn_state::closing)
    return server_closed_ ? close_cause::server_close : close_cause::local;
  return state_ == conn_state::upgrading ? close_cause::upgrade_failed : close_cause::reset;
}

void ws_connection::on_input() {
  if (state_ == conn_state::upgrading) {
    long hdr = ws_upgrade_response(in_.view());
    if (hdr < 0)
      return finish(close_cause::upgrade_failed);
    if (hdr == 0)
      return;
    in_.consume(size_t(hdr));
    state_ = conn_state::open;
    handler_.on_open(*this);
    if (state_ == conn_state::closed)
      return;
  }
  if (!process_input())
    return finish(close_cause::protocol_error);
}

bool ws_connection::process_input() {
  size_t off = 0;
  while (has_socket()) {
    ws_frame f;
    auto rest = in_.view().substr(off);
    auto rc = ws_parse_frame(rest, f);
    if (rc == ws_decode::error)
      return false;
    if (rc == ws_decode::incomplete) {
      auto need = ws_frame_size(rest);
      in_wanted_ = need > 0 ? in_.size() - rest.size() + need : 0;
      break;
    }
    off += f.size;
    if (!handle_frame(f.opcode, f.fin, f.payload))
      return false;
  }
  if (has_socket()) {
    in_.consume(off);
    in_wanted_ = in_wanted_ > off ? in_wanted_ - off : 0;
  }
  return true;
}

bool ws_connection::handle_frame(uint8_t opcode, bool fin, std::string_view payload) {
  phx_msg m;
  switch (opcode) {
  case ws_text:
  case ws_binary:
    if (!fin) {
      fragments_.assign(payload.data(), payload.size());
      return true;
    }
    if (opcode == ws_text && state_ == conn_state::open && phx_scan(payload, m))
      handler_.on_message(*this, m);
    return true;
  case ws_cont:
    fragments_.append(payload.data(), payload.size());
    if (fin && state_ == conn_state::open && phx_scan(fragments_, m))
      handler_.on_message(*this, m);
    return true;
  case ws_ping:
    send_frame(ws_pong, payload);
    return true;
  case ws_pong:
    return true;
  case ws_close:
    if (state_ != conn_state::closing) {
      // Server closed first: echo its status code, then wait for its EOF.
      server_closed_ = true;
      send_frame(ws_close, payload.substr(0, payload.size() >= 2 ? 2 : 0));
      state_ = conn_state::closing;
    }
    return true;
  default:
    return false;
  }
}

void ws_connection::send_frame(uint8_t opcode, std::string_view payload) {
  if (!has_socket())
    return;
  frame_.clear();
  ws_append_frame(frame_, opcode, payload, next_mask());
  send_bytes(frame_);
}

void ws_connection::send_text(std::string_view text) {
  if (state_ == conn_state::open)
    send_frame(ws_text, text);
}

void ws_connection::close_gracefully() {
  if (state_ == conn_state::open) {
    const char code[2] = {char(1000 >> 8), char(1000 & 0xff)};
    send_frame(ws_close, std::string_view(code, 2));
    state_ = conn_state::closing;
  } else if (state_ == conn_state::connecting || state_ == conn_state::upgrading) {
    finish(close_cause::local);
  }
}

} // namespace bench
