#include "websocket_session.hpp"

#include <boost/asio/post.hpp>

#include "phx/actors/connection.hpp"
#include "phx/protocol/log.hpp"

namespace phx::detail {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace net = boost::asio;

namespace {


// Frames a client may have in the connection actor's mailbox before reading
// pauses (read backpressure against floods).
constexpr unsigned max_frames_in_flight = 256;

} // namespace

websocket_session::websocket_session(net::ip::tcp::socket&& socket,
                                     std::shared_ptr<server_state> state,
                                     std::string subprotocol)
  : ws_(std::move(socket)), idle_timer_(ws_.get_executor()), state_(std::move(state)),
    subprotocol_(std::move(subprotocol)) {
}

websocket_session::~websocket_session() {
  state_->remove_session(this);
  if (connection_) // destroyed by a stopped io_context: the actor must still stop
    notify_closed(connection_);
}

void websocket_session::abandon() {
  finish("server stopped");
}

void websocket_session::start(caf::actor connection, http::request<http::string_body> req) {
  connection_ = std::move(connection);
  state_->add_session(this, weak_from_this());
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30); // also bounds the close handshake
  timeouts.idle_timeout = websocket::stream_base::none(); // ours counts frames, see on_idle_timer
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([sub = subprotocol_](websocket::response_type& res) {
    res.set(http::field::server, "phoenix-caf");
    if (!sub.empty())
      res.set(http::field::sec_websocket_protocol, sub);
  }));
  ws_.read_message_max(state_->config.max_frame_size);
  ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept,
                                                  shared_from_this()));
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec)
    return finish(ec.message().c_str());
  last_read_ = std::chrono::steady_clock::now();
  arm_idle_timer(last_read_ + state_->config.idle_timeout);
  do_read();
}

void websocket_session::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&websocket_session::on_read,
                                                    shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    // Beast has already sent 1009 for a too large message and 1007 for
    // invalid UTF-8; say so, the client only sees the code.
    if (ec == websocket::error::message_too_big)
      log(log_level::warning, "closing connection (1009): message larger than ",
          state_->config.max_frame_size, " bytes");
    else if (ec == websocket::error::bad_frame_payload)
      log(log_level::warning, "closing connection (1007): text frame is not valid UTF-8");
    return finish(ec.message().c_str());
  }
  last_read_ = std::chrono::steady_clock::now();
  auto data = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  // An idle connection holds no read buffer: Beast allocates it again only
  // once the next frame's header has arrived.
  buffer_.shrink_to_fit();
  deliver_frame(connection_, std::move(data), ws_.got_binary());
  if (frames_in_flight_.fetch_add(1) + 1 >= max_frames_in_flight) {
    read_paused_ = true; // frame_consumed resumes
    return;
  }
  do_read();
}

void websocket_session::frame_consumed() {
  // Only the step down from the limit resumes: that is when on_read paused.
  if (frames_in_flight_.fetch_sub(1) != max_frames_in_flight)
    return;
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->read_paused_ && !self->finished_) {
      self->read_paused_ = false;
      self->do_read();
    }
  });
}

void websocket_session::send(frame f) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return;
  if (queued_bytes_ + f.size() > state_->config.max_outbound_bytes) {
    // A slow reader: close it rather than buffer without bound.
    log(log_level::warning, "closing connection (1008): more than ",
        state_->config.max_outbound_bytes, " bytes queued for a client that does not read");
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    close_request_.emplace(close_code::policy_violation, "outbound queue full");
    schedule_write_locked();
    return;
  }
  queued_bytes_ += f.size();
  queue_.push_back(std::move(f));
  schedule_write_locked();
}

void websocket_session::close(close_code code, std::string reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (close_request_)
    return;
  closed_ = true; // frames queued so far still go out first
  close_request_.emplace(code, std::move(reason));
  schedule_write_locked();
}

void websocket_session::schedule_write_locked() {
  if (write_scheduled_)
    return;
  write_scheduled_ = true;
  net::post(ws_.get_executor(),
            beast::bind_front_handler(&websocket_session::do_write, shared_from_this()));
}

void websocket_session::do_write() {
  if (finished_)
    return;
  if (batch_pos_ == batch_.size()) {
    batch_.clear();
    batch_pos_ = 0;
    std::lock_guard<std::mutex> guard{mtx_};
    if (queue_.empty()) {
      write_scheduled_ = false;
      if (close_request_)
        net::post(ws_.get_executor(),
                  beast::bind_front_handler(&websocket_session::do_close, shared_from_this()));
      return;
    }
    batch_.swap(queue_);
  }
  auto& f = batch_[batch_pos_];
  ws_.binary(f.binary);
  ws_.async_write(net::buffer(*f.bytes), beast::bind_front_handler(&websocket_session::on_write,
                                                                   shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t) {
  if (ec)
    return finish(ec.message().c_str());
  {
    std::lock_guard<std::mutex> guard{mtx_};
    queued_bytes_ -= batch_[batch_pos_].size();
  }
  ++batch_pos_;
  do_write();
}

void websocket_session::do_close() {
  if (finished_)
    return;
  auto& [code, reason] = *close_request_;
  websocket::close_reason why{static_cast<websocket::close_code>(code)};
  why.reason = reason;
  ws_.async_close(why, [self = shared_from_this()](beast::error_code) {
    self->finish("closed by server");
  });
}

void websocket_session::arm_idle_timer(std::chrono::steady_clock::time_point deadline) {
  idle_timer_.expires_at(deadline);
  idle_timer_.async_wait(beast::bind_front_handler(&websocket_session::on_idle_timer,
                                                   shared_from_this()));
}

void websocket_session::on_idle_timer(beast::error_code ec) {
  if (ec || finished_)
    return;
  // The deadline moves with every frame read; the timer only wakes when it
  // may have passed, so an active connection costs one wake per timeout.
  auto deadline = last_read_ + state_->config.idle_timeout;
  if (std::chrono::steady_clock::now() < deadline)
    return arm_idle_timer(deadline);
  log(log_level::info, "closing connection (1000): no frame received for ",
      state_->config.idle_timeout.count(), " ms");
  close(close_code::normal, "idle timeout");
}

void websocket_session::finish(const char* why) {
  if (finished_)
    return;
  finished_ = true;
  log(log_level::debug, "websocket session over: ", why);
  idle_timer_.cancel();
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }
  batch_.clear();
  if (connection_) {
    notify_closed(connection_);
    connection_ = nullptr; // breaks the session <-> actor cycle
  }
  beast::error_code ignored;
  ws_.next_layer().close(ignored);
}

} // namespace phx::detail
