#include "http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <openssl/ssl.h>
#include <boost/beast/websocket/rfc6455.hpp>

#include "phx/actors/connection.hpp"
#include "phx/protocol/log.hpp"
#include "phx/protocol/serializer.hpp"
#include "http/header_text.hpp"
#include "http/http_request_checks.hpp"
#include "http/query_params.hpp"
#include "http/static_files.hpp"
#include "longpoll/longpoll_handler.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "socket_connect.hpp"
#include "websocket/websocket_handshake.hpp"
#include "websocket/websocket_session.hpp"

namespace phx::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

constexpr std::string_view bearer_prefix = "base64url.bearer.phx.";

// How long a closing connection keeps discarding what its client still sends.
constexpr auto linger_time = std::chrono::seconds(3);

// Errors of Beast's HTTP parser, as opposed to the socket's.
bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

// A v4-mapped address (::ffff:127.0.0.1) is what an IPv6 socket reports for
// an IPv4 peer: loopback when the IPv4 address is.
bool is_loopback(const net::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).is_loopback();
  return address.is_loopback();
}

http_response_message make_response(const http_request_message& req, http::status status,
                                     std::string content_type, std::string body) {
  http_response_message res{status, req.version()};
  res.set(http::field::server, "phoenix-caf");
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http_response_message text_response(const http_request_message& req, http::status status,
                                     std::string body) {
  return make_response(req, status, "text/plain; charset=utf-8", std::move(body));
}

// Splits a header list ("phoenix, base64url.bearer.phx.abc") into items.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty())
      items.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

} // namespace

template <class Stream>
basic_http_session<Stream>::basic_http_session(net::ip::tcp::socket&& socket,
                                               std::shared_ptr<server_state> state,
                                               beast::flat_buffer read,
                                               std::shared_ptr<net::ssl::context> tls)
  : tls_(std::move(tls)), stream_(make_stream(std::move(socket), tls_.get())),
    buffer_(std::move(read)), state_(std::move(state)) {
}

template <class Stream>
Stream basic_http_session<Stream>::make_stream(net::ip::tcp::socket&& socket,
                                               net::ssl::context* tls) {
  if constexpr (is_tls)
    return Stream{beast::tcp_stream{std::move(socket)}, *tls};
  else
    return Stream{std::move(socket)};
}

template <class Stream>
void basic_http_session<Stream>::run() {
  if constexpr (is_tls) {
    // The handshake is bounded like a request head (slowloris).
    tcp().expires_after(state_->config.request_timeout);
    stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                            beast::bind_front_handler(&basic_http_session::on_handshake,
                                                      this->shared_from_this()));
  } else {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&basic_http_session::read_head, this->shared_from_this()));
  }
}

template <class Stream>
void basic_http_session<Stream>::on_handshake(beast::error_code ec, std::size_t used) {
  if (ec) {
    metrics::node().refused_tls.add(1);
    log(log_level::debug, "TLS handshake failed: ", ec.message());
    return;
  }
  buffer_.consume(used);
  read_head();
}

template <class Stream>
void basic_http_session<Stream>::read_head() {
  parser_.emplace();
  parser_->body_limit(state_->config.max_http_body);
  tcp().expires_after(state_->config.request_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&basic_http_session::on_head, this->shared_from_this()));
}

template <class Stream>
void basic_http_session<Stream>::on_head(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) { // the client is done: so are we
    if constexpr (is_tls)
      return linger(); // close_notify first
    socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::body_limit) // Content-Length over the limit, seen in the head
    return refuse(http::status::payload_too_large, "request body too large\n");
  if (ec == http::error::header_limit)
    return refuse(http::status::request_header_fields_too_large, "request head too large\n");
  if (ec && !is_parse_error(ec))
    return; // timeouts, resets: nothing to answer
  if (ec)
    return refuse(http::status::bad_request, "malformed request\n");
  if (auto problem = check_request_head(parser_->get()))
    return refuse(problem->status, problem->why);
  if (!is_tls && state_->tls) { // plain HTTP on the TLS port: say so, clearly
    metrics::node().refused_plain_http.add(1);
    return refuse(http::status::bad_request, "this port speaks HTTPS: use https:// or wss://\n");
  }
  if (parser_->is_done())
    return serve();
  // A client that asks first (curl does for bodies over 1 KB) is told to go
  // on, rather than left to wait a second before it sends the body anyway.
  if (iequals(parser_->get()[http::field::expect], "100-continue")) {
    auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    return http::async_write(stream_, *go_on,
                             [self = this->shared_from_this(), go_on](beast::error_code write_ec,
                                                                std::size_t) {
                               if (!write_ec)
                                 self->read_body();
                             });
  }
  read_body();
}

template <class Stream>
void basic_http_session<Stream>::read_body() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&basic_http_session::on_body, this->shared_from_this()));
}

template <class Stream>
void basic_http_session<Stream>::on_body(beast::error_code ec, std::size_t) {
  if (ec == http::error::body_limit) // a chunked body past the limit
    return refuse(http::status::payload_too_large, "request body too large\n");
  if (ec && !is_parse_error(ec))
    return;
  if (ec)
    return refuse(http::status::bad_request, "malformed request body\n");
  serve();
}

template <class Stream>
void basic_http_session<Stream>::serve() {
  auto req = parser_->release();
  // A keep-alive connection may now wait long (a long-poll GET waits up to
  // its window): it keeps no parser and, with nothing pipelined, no buffer.
  parser_.reset();
  if (buffer_.size() == 0)
    buffer_.shrink_to_fit();
  auto [path, query] = split_target(req.target());
  if (websocket::is_upgrade(req)) {
    for (auto& mount : state_->sockets)
      if (mount.transports.contains(transport::websocket) && path == mount.path + "/websocket")
        return upgrade(req, query, mount);
    return write(text_response(req, http::status::not_found, "no socket mounted here\n"));
  }
  for (auto& mount : state_->sockets)
    if (mount.transports.contains(transport::longpoll) && path == mount.path + "/longpoll")
      return longpoll(req, query, mount);
  write(handle(req, path, query));
}

template <class Stream>
void basic_http_session<Stream>::longpoll(const request& req, std::string_view query,
                            const socket_mount& mount) {
  beast::error_code ec;
  auto peer = socket().remote_endpoint(ec);
  // A poll may be answered from any thread: the answer is written here.
  auto respond = [self = this->shared_from_this()](response res) {
    ++self->state_->longpoll_answers_unwritten;
    net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
      self->write(std::move(res), [self] { --self->state_->longpoll_answers_unwritten; });
    });
  };
  serve_longpoll(longpoll_request{req, query, mount, state_, stream_.get_executor(),
                                  ec ? std::string{} : peer.address().to_string(),
                                  std::move(respond)});
}

template <class Stream>
void basic_http_session<Stream>::refuse(http::status status, std::string_view why) {
  request req;
  req.version(11);
  req.keep_alive(false);
  write(text_response(req, status, std::string{why}));
}

template <class Stream>
void basic_http_session<Stream>::upgrade(const request& req, std::string_view query, const socket_mount& mount) {
  auto params = parse_query(query, state_->config.max_json_depth);
  auto vsn_param = params.find("vsn");
  auto vsn = vsn_param != params.end() && vsn_param->is_string() ? vsn_param->get<std::string>()
                                                                  : std::string{};
  auto& m = metrics::node();
  if (auto problem = check_handshake(req)) {
    m.refused_handshake.add(1);
    auto res = text_response(req, problem->status, std::string{problem->why});
    if (problem->status == http::status::upgrade_required)
      res.set(http::field::sec_websocket_version, "13");
    return write(std::move(res));
  }
  std::optional<std::string_view> origin;
  if (auto field = req.find(http::field::origin); field != req.end())
    origin = field->value();
  if (!state_->origins.allows(origin, req[http::field::host])) {
    m.refused_origin.add(1);
    log(log_level::warning, "refusing connect on ", mount.path, ": origin \"", *origin,
        "\" is not allowed (check_origin)");
    return write(text_response(req, http::status::forbidden, ""));
  }
  auto* format = serializer_for_vsn(vsn);
  if (!format) {
    m.refused_vsn.add(1);
    log(log_level::warning, "refusing connect on ", mount.path, ": transport version \"", vsn,
        "\" matches neither ~> 1.0.0 nor ~> 2.0.0");
    return write(text_response(req, http::status::forbidden, ""));
  }
  auto slot = state_->take_connection_slot(m.websocket_connections);
  if (!slot) // draining, or --max-connections: come back later
    return write(text_response(req, http::status::service_unavailable, "try again later\n"));
  auto info = std::make_shared<connect_info>();
  info->transport = "websocket";
  beast::error_code ec;
  auto peer = socket().remote_endpoint(ec);
  if (!ec)
    info->peer_address = peer.address().to_string();
  info->user_agent = std::string{req[http::field::user_agent]};
  info->connection_id = next_connection_id();
  auto number = info->connection_id;
  // phoenix.js 1.8 offers "phoenix" plus its authToken as a subprotocol; the
  // answer must name "phoenix" or browsers fail the handshake.
  std::string subprotocol;
  for (auto& item : split_list(req[http::field::sec_websocket_protocol])) {
    if (item == "phoenix")
      subprotocol = item;
    else if (item.compare(0, bearer_prefix.size(), bearer_prefix) == 0)
      info->auth_token = decode_base64(std::string_view{item}.substr(bearer_prefix.size()));
  }
  auto accepted = connect_socket(mount, params, std::move(info));
  if (!accepted) {
    m.refused_connect.add(1);
    return write(text_response(req, http::status::forbidden, ""));
  }
  m.websocket_connects.add(1);
  std::unique_ptr<tls_wire> tls;
  if constexpr (is_tls) {
    // The session carries on with this connection's TLS state on the bare
    // socket; this stream (and its buffers) goes with this HTTP session.
    SSL* ssl = stream_.native_handle();
    SSL_up_ref(ssl);
    tls = std::make_unique<tls_wire>(ssl, socket().native_handle());
  }
  auto session = std::make_shared<websocket_session>(tcp().release_socket(), state_,
                                                     std::move(slot), std::move(tls), number);
  auto connection = start_connection(*state_, mount, session, *format, std::move(*accepted),
                                     transport::websocket);
  session->start(std::move(connection),
                 switching_protocols(req[http::field::sec_websocket_key], subprotocol));
}

template <class Stream>
typename basic_http_session<Stream>::response basic_http_session<Stream>::handle(const request& req, std::string_view path,
                                             std::string_view query) {
  for (auto& mount : state_->sockets)
    if (mount.transports.contains(transport::websocket) && path == mount.path + "/websocket")
      return text_response(req, http::status::bad_request, "WebSocket upgrade required\n");
  bool path_known = false;
  for (auto& route : state_->routes) {
    if (path != route.path)
      continue;
    path_known = true;
    if (req.method_string() != route.method)
      continue;
    http_request in;
    in.method = std::string{req.method_string()};
    in.path = std::string{path};
    in.query = std::string{query};
    in.body = req.body();
    in.content_type = std::string{req[http::field::content_type]};
    in.authorization = std::string{req[http::field::authorization]};
    beast::error_code ec;
    auto peer = socket().remote_endpoint(ec);
    if (!ec) {
      in.peer_address = peer.address().to_string();
      in.peer_is_loopback = is_loopback(peer.address());
    }
    http_response out;
    try {
      out = route.handler(in);
    } catch (const std::exception& e) {
      log(log_level::error, "HTTP handler for ", route.method, " ", route.path, " threw: ", e.what());
      return make_response(req, http::status::internal_server_error, "application/json",
                           R"({"error":"internal error"})");
    }
    auto res = make_response(req, static_cast<http::status>(out.status), out.content_type,
                             std::move(out.body));
    for (auto& [name, value] : out.headers)
      res.set(name, value);
    return res;
  }
  if (path_known) { // RFC 9110 15.5.6: a 405 says which methods there are
    std::string allow;
    for (auto& route : state_->routes)
      if (path == route.path && allow.find(route.method) == std::string::npos)
        allow += (allow.empty() ? "" : ", ") + route.method;
    auto res = text_response(req, http::status::method_not_allowed, "method not allowed\n");
    res.set(http::field::allow, allow);
    return res;
  }
  if (req.method() == http::verb::get || req.method() == http::verb::head) {
    for (auto& mount : state_->statics) {
      if (auto file = read_static_file(mount.prefix, mount.directory, path)) {
        auto res = make_response(req, http::status::ok, file->content_type, std::move(file->body));
        res.set(http::field::cache_control, "no-cache");
        if (req.method() == http::verb::head)
          res.body().clear(); // Content-Length stays that of the file
        return res;
      }
    }
  }
  return text_response(req, http::status::not_found, "not found\n");
}

template <class Stream>
void basic_http_session<Stream>::write(response res, std::function<void()> written) {
  auto sp = std::make_shared<response>(std::move(res));
  bool close = sp->need_eof();
  // A fresh bound: a long-poll answer comes after the reading's has passed.
  tcp().expires_after(state_->config.request_timeout);
  http::async_write(stream_, *sp,
                    [self = this->shared_from_this(), sp, close,
                     written = std::move(written)](beast::error_code ec, std::size_t n) {
                      if (written)
                        written();
                      self->on_write(close, ec, n);
                    });
}

template <class Stream>
void basic_http_session<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec)
    return;
  if (close)
    return linger();
  read_head();
}

template <class Stream>
void basic_http_session<Stream>::linger() {
  // Closing with request bytes unread makes the kernel send a reset, which
  // can destroy the answer before the client reads it (a 413 mid-upload).
  if constexpr (is_tls) {
    // close_notify, then the client's (bounded): TLS clients read the
    // answer first.
    tcp().expires_after(linger_time);
    return stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->socket().close(ignored);
    });
  }
  beast::error_code ec;
  socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  drained_ = std::make_unique<std::array<char, 4096>>();
  tcp().expires_after(linger_time);
  drain();
}

template <class Stream>
void basic_http_session<Stream>::drain() {
  stream_.async_read_some(net::buffer(*drained_),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            if (!ec)
                              return self->drain();
                            beast::error_code ignored;
                            self->socket().close(ignored);
                          });
}

template class basic_http_session<beast::tcp_stream>;
template class basic_http_session<beast::ssl_stream<beast::tcp_stream>>;

} // namespace phx::detail
