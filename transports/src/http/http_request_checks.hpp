#pragma once

#include <optional>
#include <string_view>

#include <boost/beast/http.hpp>

namespace phx::detail {

/// Why a request is refused before its body is read; the connection closes
/// after the answer.
struct request_problem {
  boost::beast::http::status status;
  std::string_view why; ///< the answer's body
};

/// RFC 9112 checks on a request head, made before any body is read:
/// - HTTP/1.1 needs exactly one Host (3.2);
/// - Transfer-Encoding together with Content-Length, more than one
///   Content-Length, or a transfer coding other than plain `chunked` leave
///   the body's length ambiguous, which is how requests are smuggled past a
///   proxy (6.1, 6.3).
/// nullopt when the request may be served.
std::optional<request_problem> check_request_head(const boost::beast::http::request_header<>& head);

} // namespace phx::detail
