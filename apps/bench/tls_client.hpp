#pragma once
// Client-side TLS (--tls) for phx-bench's sockets, on OpenSSL. A session
// reads and writes through its socket's own fd (a socket BIO), so a worker's
// epoll loop keeps waiting on the fd it already has, and a blocking socket
// stays blocking: the only change to the I/O model is that a read may need
// the socket writable and a write may need it readable (the handshake), and
// that OpenSSL may hold bytes the fd no longer shows (has_pending).
//
// No certificate is verified: phx-bench loads a server on loopback, it has
// nothing to protect and measures TLS's cost, not its trust.
#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace bench {

// What a TLS read or write came to: `n` bytes moved (ok), or why none were.
enum class tls_status { ok, want_read, want_write, eof, error };
struct tls_io {
  tls_status status = tls_status::error;
  size_t n = 0;
};

// The name to send as SNI for `host`; empty for an IP address, which
// RFC 6066 does not allow there.
std::string tls_server_name(const std::string& host);

class tls_client {
public:
  explicit tls_client(std::string server_name) : server_name_(std::move(server_name)) {}
  ~tls_client() { detach(false); }
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  // Starts a client session on socket `fd`; the handshake runs within the
  // first reads and writes. False if OpenSSL could not make one.
  bool attach(int fd);
  // Forgets the session (the caller closes the fd). With `notify`, a healthy
  // session first sends close_notify, without waiting for the server's.
  void detach(bool notify);
  bool handshake_done() const { return ssl_ && SSL_is_init_finished(ssl_); }

  tls_io read(char* buf, size_t len);
  // May write less than `len` (partial writes): the rest goes in a later call.
  tls_io write(const char* buf, size_t len);
  // OpenSSL holds received bytes (decrypted or not) that the fd no longer
  // shows as readable: read again before waiting on the fd.
  bool has_pending() const { return ssl_ && SSL_has_pending(ssl_) == 1; }

  // The whole handshake, on a blocking socket; false if it failed.
  bool handshake();
  // After the handshake, e.g. "TLSv1.3" and "TLS_AES_256_GCM_SHA384".
  std::string protocol() const;
  std::string cipher() const;

private:
  tls_io failure(int rc);

  std::string server_name_;
  SSL* ssl_ = nullptr;
  bool failed_ = false; // a fatal error: the session may not even say goodbye
};

} // namespace bench
