#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server_state.hpp"

namespace phx::detail {

/// One HTTP request to a socket's `<mount>/longpoll`, and where its answer
/// goes. `respond` is called exactly once, from any thread.
struct longpoll_request {
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  const request& req;
  std::string_view query;
  const socket_mount& mount;
  std::shared_ptr<server_state> state;
  boost::asio::any_io_executor executor; ///< the HTTP connection's strand: timers
  std::string peer_address;
  std::function<void(response)> respond;
};

/// Serves the long-poll transport, as Phoenix's LongPoll does:
/// - GET without a live session's token: runs connect (query params, vsn,
///   X-Phoenix-AuthToken) and answers `{"status":410,"token":...}` (the
///   session is open), or `{"status":403}` when refused;
/// - GET with one: every frame queued since the last poll (200), or, after
///   waiting up to the window, 204;
/// - POST: client frames (`application/x-ndjson`: one per line, binary ones
///   as base64; anything else: the body is one frame), answered 200 once
///   the connection has taken them all;
/// - OPTIONS: the CORS preflight; other methods: HTTP 400.
/// Every other answer is HTTP 200 with the status in a JSON body; a refused
/// Origin is `{"status":403}` whatever the method.
void serve_longpoll(longpoll_request request);

} // namespace phx::detail
