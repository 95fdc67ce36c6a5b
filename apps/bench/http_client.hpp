#pragma once
// Keep-alive HTTP/1.1 client for POST /api/broadcast (one request at a time).
#include "blocking_socket.hpp"

#include <string>

namespace bench {

class http_client {
public:
  http_client(std::string host, int port) : host_(std::move(host)), port_(port) {}
  // POSTs a JSON body; returns the HTTP status, -1 when no response came.
  int post_json(const std::string& path, const std::string& body);

private:
  int exchange(const std::string& request);
  std::string host_;
  int port_;
  blocking_socket sock_;
  std::string buf_;
};

} // namespace bench
