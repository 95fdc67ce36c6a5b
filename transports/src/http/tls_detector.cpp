#include "http/tls_detector.hpp"

#include <boost/beast/core/detect_ssl.hpp>

#include "http/http_session.hpp"

namespace phx::detail {

namespace beast = boost::beast;

tls_detector::tls_detector(boost::asio::ip::tcp::socket&& socket,
                           std::shared_ptr<server_state> state)
  : stream_(std::move(socket)), state_(std::move(state)) {
}

void tls_detector::run() {
  // A client that sends nothing is dropped like one that sends no request.
  stream_.expires_after(state_->config.request_timeout);
  beast::async_detect_ssl(stream_, buffer_,
                          beast::bind_front_handler(&tls_detector::on_detect, shared_from_this()));
}

void tls_detector::on_detect(beast::error_code ec, bool is_tls) {
  if (ec)
    return;
  stream_.expires_never();
  if (is_tls)
    std::make_shared<https_session>(stream_.release_socket(), state_, std::move(buffer_),
                                    state_->tls->current())
      ->run();
  else
    std::make_shared<http_session>(stream_.release_socket(), state_, std::move(buffer_))->run();
}

} // namespace phx::detail
