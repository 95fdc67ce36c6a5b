// Request heads through Beast's parser and then the server's own checks:
// RFC 9112 request checks, the WebSocket handshake, the 101 response, and the
// origin policy in each of its three modes. The checks must hold up on any
// head Beast accepts; properties below pin what they promise.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "fuzz_util.hpp"
#include "http/http_request_checks.hpp"
#include "http/origin_policy.hpp"
#include "http/query_params.hpp"
#include "websocket/websocket_handshake.hpp"

namespace {

namespace http = boost::beast::http;
namespace net = boost::asio;
using phx::detail::origin_policy;

origin_policy policy(std::string_view spec) {
  std::string error;
  auto parsed = origin_policy::parse(spec, error);
  FUZZ_CHECK(parsed && error.empty());
  return *parsed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto same_host = policy("host");
  static const auto off = policy("off");
  static const auto list = policy("//example.com,https://*.example.org:8443");

  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(8192);
  parser.body_limit(1024);
  boost::beast::error_code ec;
  parser.put(net::buffer(data, size), ec);
  if (!parser.is_header_done())
    return 0;
  const auto& req = parser.get();

  auto problem = phx::detail::check_request_head(req);
  if (!problem) { // what is served has one Host (1.1) and an unambiguous length
    FUZZ_CHECK(req.count(http::field::host) == 1 || req.version() < 11);
    FUZZ_CHECK(req.count(http::field::content_length) <= 1);
    FUZZ_CHECK(req.count(http::field::transfer_encoding) == 0
               || req.count(http::field::content_length) == 0);
  } else {
    FUZZ_CHECK(!problem->why.empty());
  }

  auto target = req.target();
  if (auto q = target.find('?'); q != std::string_view::npos)
    phx::detail::parse_query(target.substr(q + 1));

  if (boost::beast::websocket::is_upgrade(req)) {
    if (!phx::detail::check_handshake(req)) {
      auto key = req[http::field::sec_websocket_key];
      FUZZ_CHECK(!key.empty());
      auto res = phx::detail::switching_protocols(key, "phoenix");
      FUZZ_CHECK(res.size() > 4 && res.compare(res.size() - 4, 4, "\r\n\r\n") == 0);
    }
  }

  std::optional<std::string_view> origin;
  if (auto it = req.find(http::field::origin); it != req.end())
    origin = it->value();
  auto host = req[http::field::host];
  FUZZ_CHECK(off.allows(origin, host));
  FUZZ_CHECK(same_host.allows(std::nullopt, host) && list.allows(std::nullopt, host));
  if (!origin)
    return 0;
  // An origin passes only with a host, and only the one each mode names.
  auto parts = phx::detail::parse_origin(*origin, true);
  if (same_host.allows(origin, host)) {
    auto own = phx::detail::parse_origin(host, false);
    FUZZ_CHECK(parts && own && parts->host == own->host);
  }
  if (list.allows(origin, host)) {
    FUZZ_CHECK(parts);
    const auto& h = parts->host;
    constexpr std::string_view sub = ".example.org";
    bool org = h == "example.org"
               || (h.size() > sub.size() && h.compare(h.size() - sub.size(), sub.size(), sub) == 0);
    FUZZ_CHECK(h == "example.com" || org);
    if (h != "example.com") // only the https://*.example.org:8443 entry can have matched
      FUZZ_CHECK(org && parts->scheme == "https" && parts->port == 8443u);
  }
  return 0;
}
