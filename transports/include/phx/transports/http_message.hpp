#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace phx {

/// An HTTP request as an app's route handler sees it.
struct http_request {
  std::string method;       ///< "GET", "POST", ...
  std::string path;         ///< "/api/broadcast", percent-decoding not applied
  std::string query;        ///< text after '?', may be empty
  std::string body;
  std::string content_type;
  std::string authorization; ///< the Authorization header, may be empty
  std::string peer_address;  ///< "127.0.0.1"
  /// The peer is this host (127.0.0.0/8, ::1, or v4-mapped 127.x on an
  /// IPv6 socket). Behind a reverse proxy on the same host every request
  /// looks local: protect such routes with a key as well.
  bool peer_is_loopback = false;
};

/// An HTTP response from an app's route handler.
struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static http_response json_text(unsigned status, std::string body) {
    return http_response{status, "application/json", std::move(body), {}};
  }
};

using http_handler = std::function<http_response(const http_request&)>;

} // namespace phx
