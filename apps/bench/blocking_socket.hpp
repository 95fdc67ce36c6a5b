#pragma once
// A blocking loopback TCP socket with receive timeouts, for the parent's few
// control connections (HTTP broadcast trigger, shout publisher). Not hot.
#include <string>

namespace bench {

class blocking_socket {
public:
  blocking_socket() = default;
  ~blocking_socket();
  blocking_socket(const blocking_socket&) = delete;
  blocking_socket& operator=(const blocking_socket&) = delete;

  bool connect(const std::string& host, int port, int timeout_ms);
  bool send_all(const std::string& data);
  // Appends what arrives to `buf`; false on EOF, error or timeout.
  bool recv_some(std::string& buf);
  // Appends what has arrived, without waiting; false on EOF or error.
  bool recv_ready(std::string& buf);
  void close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

} // namespace bench
