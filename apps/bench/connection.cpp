#include "connection.hpp"

#include "ws_codec.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace bench {

const char* to_string(close_cause c) {
  switch (c) {
  case close_cause::local: return "local";
  case close_cause::connect_failed: return "connect_failed";
  case close_cause::upgrade_failed: return "upgrade_failed";
  case close_cause::protocol_error: return "protocol_error";
  case close_cause::server_close: return "server_close";
  case close_cause::reset: return "reset";
  }
  return "?";
}

connection::connection(int epoll_fd, uint32_t slot, connection_handler& handler)
    : epoll_fd_(epoll_fd), slot_(slot), handler_(handler), mask_state_(slot * 2654435761u + 1) {}

connection::~connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

uint32_t connection::next_mask() {
  // xorshift32: masks only need to vary, not to be secret, for a load generator.
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  return mask_state_;
}

void connection::start(const sockaddr_in& server, const sockaddr_in& source,
                       const std::string* upgrade) {
  in_.clear();
  out_.clear();
  fragments_.clear();
  server_closed_ = false;
  joined = pending = 0;
  upgrade_ = upgrade;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd_ < 0)
    return finish(close_cause::connect_failed);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Bind the source address but defer the port to connect(): the 4-tuple then
  // only has to be unique, so each address gets its own ~28k ephemeral ports.
  setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0)
    return finish(close_cause::connect_failed);
  state_ = conn_state::connecting;
  int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&server), sizeof server);
  if (rc != 0 && errno != EINPROGRESS)
    return finish(close_cause::connect_failed);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = slot_;
  writing_ = true;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &ev);
}

void connection::want_write(bool on) {
  if (on == writing_ || fd_ < 0)
    return;
  writing_ = on;
  epoll_event ev{};
  ev.events = uint32_t(EPOLLIN) | (on ? uint32_t(EPOLLOUT) : 0u);
  ev.data.u64 = slot_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &ev);
}

void connection::finish(close_cause why) {
  if (fd_ >= 0) {
    ::close(fd_); // also removes it from the epoll set
    fd_ = -1;
  }
  if (state_ == conn_state::closed)
    return;
  state_ = conn_state::closed;
  handler_.on_closed(*this, why);
}

void connection::abort() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  state_ = conn_state::closed;
}

void connection::on_event(uint32_t events) {
  if (state_ == conn_state::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP)))
      return finish(close_cause::connect_failed);
    if (events & EPOLLOUT)
      on_connected();
    return;
  }
  if (events & EPOLLOUT)
    flush();
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
    on_readable();
}

void connection::on_connected() {
  state_ = conn_state::upgrading;
  want_write(false);
  out_ = *upgrade_;
  flush();
}

void connection::flush() {
  while (!out_.empty() && fd_ >= 0) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, size_t(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      want_write(true);
      return;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return finish(close_cause::reset);
    }
  }
  want_write(false);
}

void connection::on_readable() {
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n == 0) {
    close_cause why = state_ == conn_state::closing
                          ? (server_closed_ ? close_cause::server_close : close_cause::local)
                          : (state_ == conn_state::upgrading ? close_cause::upgrade_failed
                                                             : close_cause::reset);
    return finish(why);
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return;
    return finish(state_ == conn_state::closing && !server_closed_ ? close_cause::local
                                                                    : close_cause::reset);
  }
  in_.append(buf, size_t(n));
  if (state_ == conn_state::upgrading) {
    long hdr = ws_upgrade_response(in_);
    if (hdr < 0)
      return finish(close_cause::upgrade_failed);
    if (hdr == 0)
      return;
    in_.erase(0, size_t(hdr));
    state_ = conn_state::open;
    handler_.on_open(*this);
    if (state_ == conn_state::closed)
      return;
  }
  if (!process_input())
    return finish(close_cause::protocol_error);
}

bool connection::process_input() {
  size_t off = 0;
  while (fd_ >= 0) {
    ws_frame f;
    auto rc = ws_parse_frame(std::string_view(in_).substr(off), f);
    if (rc == ws_decode::error)
      return false;
    if (rc == ws_decode::incomplete)
      break;
    off += f.size;
    if (!handle_frame(f.opcode, f.fin, f.payload))
      return false;
  }
  if (fd_ >= 0)
    in_.erase(0, off);
  return true;
}

bool connection::handle_frame(uint8_t opcode, bool fin, std::string_view payload) {
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

void connection::send_frame(uint8_t opcode, std::string_view payload) {
  if (fd_ < 0)
    return;
  bool idle = out_.empty();
  ws_append_frame(out_, opcode, payload, next_mask());
  if (idle)
    flush();
}

void connection::send_text(std::string_view text) {
  if (state_ == conn_state::open)
    send_frame(ws_text, text);
}

void connection::close_gracefully() {
  if (state_ == conn_state::open) {
    const char code[2] = {char(1000 >> 8), char(1000 & 0xff)};
    send_frame(ws_close, std::string_view(code, 2));
    state_ = conn_state::closing;
  } else if (state_ == conn_state::connecting || state_ == conn_state::upgrading) {
    finish(close_cause::local);
  }
}

} // namespace bench
