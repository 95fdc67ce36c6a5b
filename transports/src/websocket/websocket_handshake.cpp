#include "websocket/websocket_handshake.hpp"

// Beast 1.74's own accept-key function (SHA-1 and base64 per RFC 6455 4.2.2);
// a detail header, which the pinned Boost version keeps where it is.
#include <boost/beast/websocket/detail/hybi13.hpp>

namespace phx::detail {

namespace http = boost::beast::http;
namespace ws_detail = boost::beast::websocket::detail;

std::optional<handshake_problem> check_handshake(const http::request_header<>& req) {
  if (req.find(http::field::host) == req.end())
    return handshake_problem{http::status::bad_request, "no Host header\n"};
  auto key = req[http::field::sec_websocket_key];
  if (key.empty() || key.size() > ws_detail::sec_ws_key_type::max_size_n)
    return handshake_problem{http::status::bad_request, "bad Sec-WebSocket-Key\n"};
  if (req[http::field::sec_websocket_version] != "13")
    return handshake_problem{http::status::upgrade_required, "Sec-WebSocket-Version must be 13\n"};
  return std::nullopt;
}

std::string switching_protocols(std::string_view key, std::string_view subprotocol) {
  ws_detail::sec_ws_accept_type accept;
  ws_detail::make_sec_ws_accept(accept, {key.data(), key.size()});
  std::string res = "HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Server: phoenix-caf\r\n"
                    "Sec-WebSocket-Accept: ";
  res.append(accept.data(), accept.size());
  if (!subprotocol.empty()) {
    res += "\r\nSec-WebSocket-Protocol: ";
    res += subprotocol;
  }
  res += "\r\n\r\n";
  return res;
}

} // namespace phx::detail
