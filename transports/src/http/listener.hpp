#pragma once

#include <chrono>
#include <cstdint>

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "server_state.hpp"

namespace phx::detail {

/// Accepts TCP connections and starts an http_session on its own strand for each.
class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens; throws std::runtime_error saying what failed.
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& where,
           std::shared_ptr<server_state> state);

  void run();
  void stop();

  std::uint16_t port() const;

private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<server_state> state_;
  // accept() failures: logged at most once a second (accepts run on one strand).
  std::chrono::steady_clock::time_point last_logged_{};
  std::uint64_t failures_unlogged_ = 0;
};

} // namespace phx::detail
