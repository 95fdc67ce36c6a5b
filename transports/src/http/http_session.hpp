#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server_state.hpp"

namespace phx::detail {

using http_request_message = boost::beast::http::request<boost::beast::http::string_body>;
using http_response_message = boost::beast::http::response<boost::beast::http::string_body>;

/// One HTTP connection: reads requests (keep-alive), hands WebSocket upgrades
/// of a mounted socket to websocket_session after the socket handler's
/// connect, long-poll requests to the long-poll transport (whose answer may
/// come later, from another thread), and answers the rest from routes and
/// static files.
///
/// A request is read in two steps, head then body, so that a head which
/// cannot be served safely (no Host, ambiguous framing, a body over the
/// limit) is refused before its body is read. A connection that is closed
/// after an answer lingers: it shuts down its sending side and discards what
/// the client still sends for a moment, so that the client reads the answer
/// instead of a reset (nginx's lingering close).
///
/// `Stream` is a plain TCP stream, or a TLS stream over one (https_session):
/// the same requests, routes and upgrades, inside TLS. On a TLS port a
/// plain session only says so (400), see tls_detector.
template <class Stream>
class basic_http_session : public std::enable_shared_from_this<basic_http_session<Stream>> {
public:
  using request = http_request_message;
  using response = http_response_message;
  static constexpr bool is_tls = !std::is_same_v<Stream, boost::beast::tcp_stream>;

  /// A session on `socket`; `read` holds what was read from it already
  /// (tls_detector). A TLS session needs `tls`, the certificate.
  basic_http_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state,
                     boost::beast::flat_buffer read = {},
                     std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

  void run();

private:
  void on_handshake(boost::beast::error_code ec, std::size_t used);
  void read_head();
  void on_head(boost::beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t bytes);
  void serve();
  // Answers `status` with `why` and closes the connection.
  void refuse(boost::beast::http::status status, std::string_view why);
  // Writes `res`; `written` (if any) runs once the write is over, well or not.
  void write(response res, std::function<void()> written = {});
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void linger();
  void drain();
  // Hands a request to <mount>/longpoll to the long-poll transport.
  void longpoll(const request& req, std::string_view query, const socket_mount& mount);
  // Upgrades to a WebSocket, or answers why not (400, 403, 404).
  void upgrade(const request& req, std::string_view query, const socket_mount& mount);
  response handle(const request& req, std::string_view path, std::string_view query);
  boost::asio::ip::tcp::socket& socket() { return boost::beast::get_lowest_layer(stream_).socket(); }
  boost::beast::tcp_stream& tcp() { return boost::beast::get_lowest_layer(stream_); }
  static Stream make_stream(boost::asio::ip::tcp::socket&& socket,
                            boost::asio::ssl::context* tls);

  std::shared_ptr<boost::asio::ssl::context> tls_; ///< keeps the certificate of this session
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<std::array<char, 4096>> drained_; ///< only while lingering
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<server_state> state_;
};

using http_session = basic_http_session<boost::beast::tcp_stream>;
using https_session = basic_http_session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace phx::detail
