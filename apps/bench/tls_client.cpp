#include "tls_client.hpp"

#include <openssl/err.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bench {
namespace {

SSL_CTX* make_context() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr); // a load generator: see the header
  // Partial writes: a connection's output queue is sent as far as the socket
  // takes it, as with send(). Moving buffer: that queue is a std::string that
  // may grow (and move) before a write that wanted to wait is retried.
  // Release buffers: 20,000 idle sessions a worker must not hold 2 x 16 KiB each.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Read ahead: one read() takes all the records that have arrived, not one
  // read for each record's header and one for its body; what it took beyond
  // the first record is has_pending(), which the readers loop on.
  SSL_CTX_set_read_ahead(ctx, 1);
  // A server that closes without close_notify ends the stream (eof), as a
  // plain socket's FIN does: the protocols above have their own endings.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return ctx;
}

// Made on first use, so each worker (a fork) makes its own; kept for the
// life of the process.
SSL_CTX* client_context() {
  static SSL_CTX* ctx = make_context();
  return ctx;
}

std::string failure_reason(int err, int sys_errno) {
  if (unsigned long e = ERR_peek_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }
  if (err == SSL_ERROR_ZERO_RETURN)
    return "the server closed the connection";
  if (err == SSL_ERROR_SYSCALL && sys_errno != 0)
    return std::strerror(sys_errno);
  return "SSL_get_error " + std::to_string(err);
}

// Once per process: thousands of connections failing alike say nothing more.
void report_handshake_failure(int err, int sys_errno) {
  static bool reported = false;
  if (reported)
    return;
  reported = true;
  std::fprintf(stderr, "[phx-bench] TLS handshake failed: %s\n",
               failure_reason(err, sys_errno).c_str());
}

} // namespace

std::string tls_server_name(const std::string& host) {
  unsigned char addr[16];
  if (inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1)
    return {};
  return host;
}

bool tls_client::attach(int fd) {
  detach(false);
  SSL_CTX* ctx = client_context();
  ssl_ = ctx ? SSL_new(ctx) : nullptr;
  if (!ssl_ || SSL_set_fd(ssl_, fd) != 1 ||
      (!server_name_.empty() && SSL_set_tlsext_host_name(ssl_, server_name_.c_str()) != 1)) {
    detach(false);
    return false;
  }
  SSL_set_connect_state(ssl_);
  return true;
}

void tls_client::detach(bool notify) {
  if (!ssl_)
    return;
  if (notify && !failed_ && SSL_is_init_finished(ssl_))
    SSL_shutdown(ssl_); // one write; the server's answer is not awaited
  SSL_free(ssl_);
  ssl_ = nullptr;
  failed_ = false;
  ERR_clear_error(); // SSL_get_error needs an empty queue on the next call
}

tls_io tls_client::read(char* buf, size_t len) {
  size_t n = 0;
  int rc = SSL_read_ex(ssl_, buf, len, &n);
  return rc == 1 ? tls_io{tls_status::ok, n} : failure(rc);
}

tls_io tls_client::write(const char* buf, size_t len) {
  size_t n = 0;
  int rc = SSL_write_ex(ssl_, buf, len, &n);
  return rc == 1 ? tls_io{tls_status::ok, n} : failure(rc);
}

tls_io tls_client::failure(int rc) {
  int sys_errno = errno;
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ)
    return {tls_status::want_read};
  if (err == SSL_ERROR_WANT_WRITE)
    return {tls_status::want_write};
  tls_io r{err == SSL_ERROR_ZERO_RETURN ? tls_status::eof : tls_status::error};
  failed_ = r.status == tls_status::error;
  if (!SSL_is_init_finished(ssl_))
    report_handshake_failure(err, sys_errno);
  ERR_clear_error();
  errno = sys_errno; // the caller may look at why a system call failed
  return r;
}

bool tls_client::handshake() {
  for (;;) {
    int rc = SSL_connect(ssl_);
    if (rc == 1)
      return true;
    tls_io r = failure(rc);
    bool blocked = r.status == tls_status::want_read || r.status == tls_status::want_write;
    if (blocked && errno == EINTR)
      continue; // a signal, not the socket's timeout
    if (blocked)
      report_handshake_failure(SSL_ERROR_SYSCALL, ETIMEDOUT);
    return false;
  }
}

std::string tls_client::protocol() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string tls_client::cipher() const {
  const char* name = ssl_ ? SSL_get_cipher_name(ssl_) : nullptr;
  return name ? name : "";
}

} // namespace bench
