#pragma once
// A blocking loopback TCP socket with receive timeouts, for the parent's few
// control connections (HTTP broadcast trigger, shout publisher), over TLS
// with --tls. Not hot.
#include "tls_client.hpp"

#include <memory>
#include <string>

namespace bench {

class blocking_socket {
public:
  blocking_socket() = default;
  ~blocking_socket();
  blocking_socket(const blocking_socket&) = delete;
  blocking_socket& operator=(const blocking_socket&) = delete;

  // With `tls`, also completes a TLS handshake (see tls_client).
  bool connect(const std::string& host, int port, int timeout_ms, bool tls = false);
  bool send_all(const std::string& data);
  // Appends what arrives to `buf`; false on EOF, error or timeout.
  bool recv_some(std::string& buf);
  // Appends what has arrived, without waiting; false on EOF or error.
  bool recv_ready(std::string& buf);
  void close();
  bool is_open() const { return fd_ >= 0; }
  // Wait on fd() for more input only once recv_ready() returned: before, the
  // TLS session may hold some.
  int fd() const { return fd_; }
  // The TLS session; null without --tls.
  const tls_client* tls() const { return tls_.get(); }

private:
  bool send_all_tls(const std::string& data);
  bool recv_some_tls(std::string& buf);
  bool recv_ready_tls(std::string& buf);

  int fd_ = -1;
  std::unique_ptr<tls_client> tls_;
};

} // namespace bench
