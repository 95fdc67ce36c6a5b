#include "connection.hpp"

#include "tls_client.hpp"

#include <algorithm>
#include <cerrno>
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
    : slot_(slot), handler_(handler), epoll_fd_(epoll_fd) {}

connection::~connection() { close_socket(false); }

void connection::close_socket(bool notify) {
  if (fd_ < 0)
    return;
  if (tls_)
    tls_->detach(notify);
  ::close(fd_); // also removes it from the epoll set
  fd_ = -1;
}

void connection::start(const sockaddr_in& server, const sockaddr_in& source) {
  in_.clear();
  in_wanted_ = 0;
  out_.clear();
  joined = pending = 0;
  reset();
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
  tls_read_needs_out_ = tls_write_needs_out_ = false;
  if (tls_ && !tls_->attach(fd_)) // the handshake starts with on_connected()'s first send
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
  close_socket(true);
  if (state_ == conn_state::closed)
    return;
  state_ = conn_state::closed;
  handler_.on_closed(*this, why);
}

void connection::abort() {
  close_socket(false);
  state_ = conn_state::closed;
}

void connection::on_event(uint32_t events) {
  if (state_ == conn_state::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP)))
      return finish(close_cause::connect_failed);
    if (events & EPOLLOUT) {
      state_ = conn_state::upgrading;
      want_write(false);
      on_connected();
    }
    return;
  }
  if (tls_)
    return on_tls_event(events);
  if (events & EPOLLOUT)
    flush();
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
    on_readable();
}

void connection::send_bytes(std::string_view bytes) {
  if (fd_ < 0)
    return;
  bool idle = out_.empty();
  out_.append(bytes.data(), bytes.size());
  if (idle)
    flush();
}

void connection::flush() {
  if (tls_)
    return flush_tls();
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
  size_t room = read_room();
  ssize_t n = ::recv(fd_, in_.prepare(room), room, 0);
  if (n == 0)
    return finish(end_cause(true));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return;
    return finish(end_cause(false));
  }
  in_.commit(size_t(n));
  on_input();
}

} // namespace bench
