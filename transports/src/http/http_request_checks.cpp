#include "http/http_request_checks.hpp"

#include <cstddef>

#include "http/header_text.hpp"

namespace phx::detail {

namespace http = boost::beast::http;

namespace {

std::size_t count(const http::request_header<>& head, http::field name) {
  auto [first, last] = head.equal_range(name);
  return static_cast<std::size_t>(std::distance(first, last));
}

bool is_plain_chunked(std::string_view coding) {
  return iequals(trim_ows(coding), "chunked");
}

} // namespace

std::optional<request_problem> check_request_head(const http::request_header<>& head) {
  auto hosts = count(head, http::field::host);
  if (hosts > 1 || (hosts == 0 && head.version() >= 11))
    return request_problem{http::status::bad_request, "exactly one Host header is required\n"};
  auto encodings = count(head, http::field::transfer_encoding);
  auto lengths = count(head, http::field::content_length);
  if (lengths > 1)
    return request_problem{http::status::bad_request, "more than one Content-Length\n"};
  if (encodings == 0)
    return std::nullopt;
  if (lengths > 0)
    return request_problem{http::status::bad_request,
                           "Transfer-Encoding and Content-Length together\n"};
  if (encodings > 1 || !is_plain_chunked(head[http::field::transfer_encoding]))
    return request_problem{http::status::bad_request, "unsupported Transfer-Encoding\n"};
  if (head.version() < 11)
    return request_problem{http::status::bad_request, "Transfer-Encoding in an HTTP/1.0 request\n"};
  return std::nullopt;
}

} // namespace phx::detail
