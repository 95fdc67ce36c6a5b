#include "blocking_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace bench {
namespace {

// A blocking TLS call that wants to wait was cut short: by a signal (retry),
// or else by the socket's timeout.
bool interrupted(const tls_io& r) {
  return (r.status == tls_status::want_read || r.status == tls_status::want_write) &&
         errno == EINTR;
}

} // namespace

blocking_socket::~blocking_socket() { close(); }

void blocking_socket::close() {
  if (tls_) {
    tls_->detach(fd_ >= 0);
    tls_.reset();
  }
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool blocking_socket::connect(const std::string& host, int port, int timeout_ms, bool tls) {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return false;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    return false;
  }
  if (tls) {
    tls_ = std::make_unique<tls_client>(tls_server_name(host));
    if (!tls_->attach(fd_) || !tls_->handshake()) {
      close();
      return false;
    }
  }
  return true;
}

bool blocking_socket::send_all(const std::string& data) {
  if (tls_)
    return send_all_tls(data);
  size_t off = 0;
  while (fd_ >= 0 && off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0)
      off += size_t(n);
    else if (n < 0 && errno == EINTR)
      continue;
    else
      return false;
  }
  return fd_ >= 0;
}

bool blocking_socket::recv_some(std::string& buf) {
  if (fd_ < 0)
    return false;
  if (tls_)
    return recv_some_tls(buf);
  char tmp[65536];
  ssize_t n;
  do
    n = ::recv(fd_, tmp, sizeof tmp, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return false;
  buf.append(tmp, size_t(n));
  return true;
}

bool blocking_socket::recv_ready(std::string& buf) {
  if (fd_ < 0)
    return false;
  if (tls_)
    return recv_ready_tls(buf);
  char tmp[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n > 0) {
      buf.append(tmp, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

bool blocking_socket::send_all_tls(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    tls_io r = tls_->write(data.data() + off, data.size() - off);
    if (r.status == tls_status::ok)
      off += r.n;
    else if (!interrupted(r))
      return false;
  }
  return true;
}

bool blocking_socket::recv_some_tls(std::string& buf) {
  char tmp[65536];
  for (;;) {
    tls_io r = tls_->read(tmp, sizeof tmp);
    if (r.status == tls_status::ok) {
      buf.append(tmp, r.n);
      return true;
    }
    if (!interrupted(r))
      return false;
  }
}

// Non-blocking for the while: a poll() of the fd could not tell whether the
// rest of a record has come, and a blocking read of half a record would wait.
bool blocking_socket::recv_ready_tls(std::string& buf) {
  int flags = fcntl(fd_, F_GETFL);
  fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  char tmp[65536];
  tls_io r;
  while ((r = tls_->read(tmp, sizeof tmp)).status == tls_status::ok)
    buf.append(tmp, r.n);
  fcntl(fd_, F_SETFL, flags);
  return r.status == tls_status::want_read || r.status == tls_status::want_write;
}

} // namespace bench
