#include "http/listener.hpp"

#include <stdexcept>

#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "http/http_session.hpp"
#include "http/tls_detector.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"

namespace phx::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(net::io_context& ioc, const tcp::endpoint& where,
                   std::shared_ptr<server_state> state)
  : ioc_(ioc), acceptor_(ioc), retry_timer_(ioc), state_(std::move(state)) {
  boost::beast::error_code ec;
  auto fail = [&](const char* what) {
    throw std::runtime_error(std::string{"cannot "} + what + " " + where.address().to_string()
                             + ":" + std::to_string(where.port()) + ": " + ec.message());
  };
  acceptor_.open(where.protocol(), ec);
  if (ec)
    fail("open a socket for");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  acceptor_.bind(where, ec);
  if (ec)
    fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    fail("listen on");
}

void listener::run() {
  do_accept();
}

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

std::uint16_t listener::port() const {
  boost::beast::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         boost::beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(boost::beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open())
    return;
  if (ec) {
    // Out of file descriptors, typically: the connection waits in the
    // kernel's backlog while we wait a little, instead of spinning; once
    // descriptors are free again the next try takes it.
    metrics::node().accept_errors.add(1);
    auto now = std::chrono::steady_clock::now();
    ++failures_unlogged_;
    if (now - last_logged_ >= std::chrono::seconds(1)) {
      log(log_level::warning, "accept failed: ", ec.message(), " (", failures_unlogged_,
          " time(s) in the last second; open files limit: see --help); retrying");
      last_logged_ = now;
      failures_unlogged_ = 0;
    }
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait([self = shared_from_this()](boost::beast::error_code wait_ec) {
      if (!wait_ec)
        self->do_accept();
    });
    return;
  }
  // Frames are written whole and gathered: Nagle would only hold the next
  // one back until the client's ACK (Phoenix's cowboy sets it too).
  socket.set_option(tcp::no_delay(true), ec);
  if (state_->tls)
    std::make_shared<tls_detector>(std::move(socket), state_)->run();
  else
    std::make_shared<http_session>(std::move(socket), state_)->run();
  do_accept();
}

} // namespace phx::detail
