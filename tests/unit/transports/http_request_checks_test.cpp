#include "http/http_request_checks.hpp"

#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

namespace http = boost::beast::http;
using phx::detail::check_request_head;

namespace {

// What becomes of a request head, as the server reads it: Beast's parser
// reads the header only, then check_request_head looks at it.
enum class verdict { served, refused_400, parser_refused };

const char* to_string(verdict v) {
  switch (v) {
    case verdict::served: return "served";
    case verdict::refused_400: return "refused_400";
    case verdict::parser_refused: return "parser_refused";
  }
  return "?";
}

struct outcome {
  verdict v;
  std::string why;
};

outcome judge(const std::string& raw_head) {
  http::request_parser<http::empty_body> parser;
  boost::beast::error_code ec;
  auto used = parser.put(boost::asio::buffer(raw_head), ec);
  if (ec)
    return {verdict::parser_refused, ec.message()};
  REQUIRE_MESSAGE(parser.is_header_done(), raw_head);
  CHECK(used == raw_head.size());
  auto problem = check_request_head(parser.get());
  if (!problem)
    return {verdict::served, ""};
  CHECK(problem->status == http::status::bad_request);
  CHECK_FALSE(problem->why.empty());
  return {problem->status == http::status::bad_request ? verdict::refused_400 : verdict::served,
          std::string{problem->why}};
}

// A request head: the request line, the given header lines, the empty line.
std::string head(const std::string& request_line, const std::string& fields) {
  return request_line + "\r\n" + fields + "\r\n";
}

#define CHECK_VERDICT(raw, expected)                                                      \
  do {                                                                                    \
    auto out_ = judge(raw);                                                               \
    CHECK_MESSAGE(out_.v == (expected), to_string(out_.v), ": ", out_.why, " for\n", raw); \
  } while (0)

} // namespace

TEST_CASE("a plain GET is served") {
  CHECK_VERDICT(head("GET / HTTP/1.1", "Host: 127.0.0.1:4000\r\n"), verdict::served);
  CHECK_VERDICT(head("GET /socket/websocket?vsn=2.0.0 HTTP/1.1",
                     "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"),
                verdict::served);
  CHECK_VERDICT(head("POST /api/broadcast HTTP/1.1",
                     "Host: localhost\r\nContent-Type: application/json\r\nContent-Length: 60\r\n"),
                verdict::served);
}

TEST_CASE("HTTP/1.1 needs exactly one Host, HTTP/1.0 may have none") {
  auto no_host = judge(head("GET / HTTP/1.1", "Accept: */*\r\n"));
  CHECK(no_host.v == verdict::refused_400);
  CHECK(no_host.why.find("Host") != std::string::npos);
  auto two_hosts = judge(head("GET / HTTP/1.1", "Host: a.example\r\nHost: b.example\r\n"));
  CHECK(two_hosts.v == verdict::refused_400);
  CHECK(two_hosts.why.find("Host") != std::string::npos);
  CHECK_VERDICT(head("GET / HTTP/1.1", "Host: a.example\r\nhost: a.example\r\n"),
                verdict::refused_400);
  CHECK_VERDICT(head("GET / HTTP/1.0", "Accept: */*\r\n"), verdict::served);
  CHECK_VERDICT(head("GET / HTTP/1.0", "Host: a.example\r\n"), verdict::served);
  CHECK_VERDICT(head("GET / HTTP/1.0", "Host: a.example\r\nHost: b.example\r\n"),
                verdict::refused_400);
}

TEST_CASE("Transfer-Encoding with Content-Length is refused, whoever notices") {
  // Beast's parser ignores a coding it does not know, then takes the length:
  // only the check stands between this and a smuggled request.
  auto x = judge(head("POST / HTTP/1.1",
                      "Host: h\r\nTransfer-Encoding: xchunked\r\nContent-Length: 60\r\n"));
  CHECK(x.v == verdict::refused_400);
  CHECK(x.why.find("Content-Length") != std::string::npos);
  // Beast refuses these itself; either way they are not served.
  for (auto fields : {"Host: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 60\r\n",
                      "Host: h\r\nContent-Length: 60\r\nTransfer-Encoding: chunked\r\n",
                      "Host: h\r\nContent-Length: 60\r\nTransfer-Encoding: xchunked\r\n"}) {
    auto out = judge(head("POST / HTTP/1.1", fields));
    CHECK_MESSAGE(out.v != verdict::served, fields);
  }
}

TEST_CASE("check_request_head alone refuses Transfer-Encoding with Content-Length") {
  // Built directly, for the combinations Beast's parser would not let through.
  http::request_header<> h;
  h.version(11);
  h.method(http::verb::post);
  h.target("/");
  h.insert(http::field::host, "h");
  h.insert(http::field::transfer_encoding, "chunked");
  h.insert(http::field::content_length, "60");
  auto problem = check_request_head(h);
  REQUIRE(problem);
  CHECK(problem->status == http::status::bad_request);
}

TEST_CASE("check_request_head alone: two Transfer-Encoding fields, however plain") {
  // Beast's parser refuses a second Transfer-Encoding after chunked itself.
  auto make = [](std::initializer_list<const char*> codings) {
    http::request_header<> h;
    h.version(11);
    h.method(http::verb::post);
    h.target("/");
    h.insert(http::field::host, "h");
    for (auto c : codings)
      h.insert(http::field::transfer_encoding, c);
    return h;
  };
  CHECK_FALSE(check_request_head(make({"chunked"})));
  CHECK_FALSE(check_request_head(make({" chunked\t"})));
  auto twice = check_request_head(make({"chunked", "chunked"}));
  REQUIRE(twice);
  CHECK(twice->status == http::status::bad_request);
  CHECK(check_request_head(make({"chunked", "gzip"})));
}

TEST_CASE("only plain chunked is accepted as a transfer coding") {
  auto gzip = judge(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: gzip, chunked\r\n"));
  CHECK(gzip.v == verdict::refused_400);
  CHECK(gzip.why.find("Transfer-Encoding") != std::string::npos);
  CHECK_VERDICT(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: gzip\r\n"),
                verdict::refused_400);
  CHECK_VERDICT(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: chunked, gzip\r\n"),
                verdict::refused_400);
  CHECK_VERDICT(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: xchunked\r\n"),
                verdict::refused_400);
  CHECK_VERDICT(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: chunked\r\n"),
                verdict::served);
  CHECK_VERDICT(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: Chunked\r\n"),
                verdict::served);
  CHECK_VERDICT(head("POST / HTTP/1.1", "Host: h\r\nTransfer-Encoding: CHUNKED\r\n"),
                verdict::served);
  // Two Transfer-Encoding fields (the second one hidden from a proxy that reads the first).
  CHECK_VERDICT(head("POST / HTTP/1.1",
                     "Host: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"),
                verdict::refused_400);
  // Transfer-Encoding means nothing to an HTTP/1.0 peer.
  CHECK_VERDICT(head("POST / HTTP/1.0", "Host: h\r\nTransfer-Encoding: chunked\r\n"),
                verdict::refused_400);
}

TEST_CASE("more than one Content-Length is refused") {
  // Equal values get through Beast's parser: the check refuses them.
  auto same = judge(head("POST / HTTP/1.1", "Host: h\r\nContent-Length: 60\r\nContent-Length: 60\r\n"));
  CHECK(same.v == verdict::refused_400);
  CHECK(same.why.find("Content-Length") != std::string::npos);
  // Different values: Beast's parser refuses them itself.
  auto different = judge(head("POST / HTTP/1.1", "Host: h\r\nContent-Length: 60\r\nContent-Length: 6\r\n"));
  CHECK(different.v == verdict::parser_refused);
}
