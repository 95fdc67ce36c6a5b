#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "server_state.hpp"

namespace phx::detail {

/// The first bytes of a connection to a TLS port: a TLS handshake goes on
/// to an https_session; anything else to a plain http_session, which
/// answers that this port speaks HTTPS (400) rather than leaving the
/// client with a handshake error it cannot read.
class tls_detector : public std::enable_shared_from_this<tls_detector> {
public:
  tls_detector(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state);

  void run();

private:
  void on_detect(boost::beast::error_code ec, bool is_tls);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<server_state> state_;
};

} // namespace phx::detail
