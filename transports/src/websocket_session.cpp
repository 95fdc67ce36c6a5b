#include "websocket_session.hpp"

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "phx/actors/connection.hpp"
#include "phx/protocol/log.hpp"

namespace phx::detail {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace net = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// Frames a client may have in the connection actor's mailbox before reading
// pauses (read backpressure against floods).
constexpr unsigned max_frames_in_flight = 256;

// How long the closing handshake may take before the socket is just closed.
constexpr auto close_timeout = std::chrono::seconds(5);

// Bytes read per system call; one buffer per I/O thread, shared by all its
// sessions, so that idle connections own none.
constexpr std::size_t read_chunk = 64 * 1024;

} // namespace

websocket_session::websocket_session(net::ip::tcp::socket&& socket,
                                     std::shared_ptr<server_state> state,
                                     std::string subprotocol)
  : socket_(std::move(socket)), timer_(socket_.get_executor()),
    reader_(state->config.max_frame_size), state_(std::move(state)),
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
  // Beast validates the upgrade and writes the 101; it is dropped afterwards.
  handshake_ = std::make_unique<websocket::stream<net::ip::tcp::socket&>>(socket_);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  handshake_->set_option(timeouts);
  handshake_->set_option(websocket::stream_base::decorator([sub = subprotocol_](websocket::response_type& res) {
    res.set(http::field::server, "phoenix-caf");
    if (!sub.empty())
      res.set(http::field::sec_websocket_protocol, sub);
  }));
  handshake_->async_accept(req, [self = shared_from_this()](beast::error_code ec) {
    self->on_accept(ec);
  });
}

void websocket_session::on_accept(beast::error_code ec) {
  handshake_.reset();
  if (ec)
    return finish(ec.message().c_str());
  socket_.non_blocking(true, ec);
  if (ec)
    return finish(ec.message().c_str());
  last_read_ = clock::now();
  arm_timer(last_read_ + state_->config.idle_timeout);
  wait_readable();
}

// -- reading ------------------------------------------------------------------

void websocket_session::wait_readable() {
  socket_.async_wait(net::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
}

void websocket_session::on_readable(beast::error_code ec) {
  if (finished_)
    return;
  if (ec)
    return finish(ec.message().c_str());
  thread_local std::array<char, read_chunk> chunk;
  for (;;) {
    auto n = socket_.read_some(net::buffer(chunk), ec);
    if (ec == net::error::would_block || ec == net::error::try_again)
      break;
    if (ec)
      return finish(ec == net::error::eof ? "client closed the connection" : ec.message().c_str());
    last_read_ = clock::now();
    if (close_sent_)
      continue; // closing: only the client's EOF matters now
    if (auto error = reader_.feed(chunk.data(), n, *this)) {
      log(log_level::warning, "closing connection (", static_cast<int>(error->code), " ",
          to_string(error->code), "): ", error->why);
      close(error->code, error->why);
      return wait_readable(); // read on until the client's EOF
    }
    if (finished_ || peer_closed_)
      return;
    if (n < chunk.size())
      break;
  }
  if (frames_in_flight_.load() >= max_frames_in_flight) {
    read_paused_ = true; // frame_consumed resumes
    return;
  }
  wait_readable();
}

void websocket_session::on_message(std::string&& data, bool binary) {
  if (close_sent_ || !connection_)
    return;
  frames_in_flight_.fetch_add(1);
  deliver_frame(connection_, std::move(data), binary);
}

void websocket_session::on_ping(std::string&& payload) {
  enqueue(outgoing{frame::text(std::move(payload)), ws::opcode::pong}, false);
}

void websocket_session::on_close(std::optional<std::uint16_t> code) {
  peer_closed_ = true;
  if (close_sent_)
    return finish("closing handshake done");
  // Echo the client's close (RFC 6455 5.5.1); finish once it is written.
  auto echo = code ? static_cast<close_code>(*code) : close_code::normal;
  enqueue(outgoing{frame::text(ws::close_payload(echo, "")), ws::opcode::close}, true);
}

void websocket_session::frame_consumed() {
  // Only the step down from the limit resumes: that is when reading paused.
  if (frames_in_flight_.fetch_sub(1) != max_frames_in_flight)
    return;
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->read_paused_ && !self->finished_) {
      self->read_paused_ = false;
      self->wait_readable();
    }
  });
}

// -- writing ------------------------------------------------------------------

void websocket_session::send(frame f) {
  enqueue(outgoing{std::move(f), ws::opcode::text}, false);
}

void websocket_session::close(close_code code, std::string reason) {
  enqueue(outgoing{frame::text(ws::close_payload(code, reason)), ws::opcode::close}, true);
}

void websocket_session::enqueue(outgoing out, bool is_close) {
  if (out.op == ws::opcode::text && out.payload.binary)
    out.op = ws::opcode::binary;
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return;
  if (is_close) {
    closed_ = true; // frames queued so far still go out first
  } else if (queued_bytes_ + out.payload.size() > state_->config.max_outbound_bytes) {
    // A slow reader: close it rather than buffer without bound.
    log(log_level::warning, "closing connection (1008): more than ",
        state_->config.max_outbound_bytes, " bytes queued for a client that does not read");
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    out = outgoing{frame::text(ws::close_payload(close_code::policy_violation,
                                                 "outbound queue full")),
                   ws::opcode::close};
  }
  bool is_close_frame = out.op == ws::opcode::close;
  queued_bytes_ += out.payload.size();
  queue_.push_back(std::move(out));
  schedule_write_locked();
  if (is_close_frame) // a client that never reads must not keep us forever
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->start_close_clock(); });
}

void websocket_session::start_close_clock() {
  if (close_requested_ || finished_)
    return;
  close_requested_ = true;
  arm_timer(clock::now() + close_timeout);
}

void websocket_session::schedule_write_locked() {
  if (write_scheduled_)
    return;
  write_scheduled_ = true;
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->do_write(); });
}

void websocket_session::do_write() {
  if (finished_)
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (queue_.empty()) {
      write_scheduled_ = false;
      return;
    }
    writing_.swap(queue_);
  }
  // Everything queued leaves in one gathered write: one system call for
  // many frames is what makes fan-out fast (README, Performance).
  auto on_written = [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->on_write(ec, n);
  };
  if (writing_.size() == 1) { // the common case under light load: no allocation
    auto& out = writing_.front();
    auto size = out.payload.size();
    single_header_size_ = ws::encode_header(out.op, size, single_header_);
    std::array<net::const_buffer, 2> buffers{
      net::const_buffer{single_header_, single_header_size_},
      net::const_buffer{size ? out.payload.bytes->data() : nullptr, size}};
    return net::async_write(socket_, buffers, std::move(on_written));
  }
  headers_.resize(writing_.size() * ws::max_header_size);
  std::vector<net::const_buffer> buffers;
  buffers.reserve(writing_.size() * 2);
  for (std::size_t i = 0; i < writing_.size(); ++i) {
    auto& out = writing_[i];
    auto* header = headers_.data() + i * ws::max_header_size;
    auto size = out.payload.size();
    buffers.emplace_back(header, ws::encode_header(out.op, size, header));
    if (size > 0)
      buffers.emplace_back(out.payload.bytes->data(), size);
  }
  net::async_write(socket_, buffers, std::move(on_written));
}

void websocket_session::on_write(beast::error_code ec, std::size_t) {
  if (ec)
    return finish(ec.message().c_str());
  std::size_t bytes = 0;
  bool wrote_close = false;
  for (auto& out : writing_) {
    bytes += out.payload.size();
    wrote_close = wrote_close || out.op == ws::opcode::close;
  }
  writing_.clear();
  if (writing_.capacity() > 64) {
    writing_.shrink_to_fit();
    headers_ = {};
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    queued_bytes_ -= bytes;
  }
  if (wrote_close) {
    close_sent_ = true;
    if (peer_closed_)
      return finish("closing handshake done");
    // Our close is out: half-close and wait (bounded) for the client's EOF.
    socket_.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    arm_timer(clock::now() + close_timeout);
    return;
  }
  do_write();
}

// -- timers and the end -------------------------------------------------------

void websocket_session::arm_timer(clock::time_point deadline) {
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_timer(ec); });
}

void websocket_session::on_timer(beast::error_code ec) {
  if (ec || finished_)
    return;
  if (close_sent_ || close_requested_)
    return finish("closing handshake timed out");
  // The deadline moves with every read; the timer only wakes when it may have
  // passed, so an active connection costs one wake per timeout period.
  auto deadline = last_read_ + state_->config.idle_timeout;
  if (clock::now() < deadline)
    return arm_timer(deadline);
  log(log_level::info, "closing connection (1000): no frame received for ",
      state_->config.idle_timeout.count(), " ms");
  close(close_code::normal, "idle timeout");
}

void websocket_session::finish(const char* why) {
  if (finished_)
    return;
  finished_ = true;
  log(log_level::debug, "websocket session over: ", why);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }
  if (connection_) {
    notify_closed(connection_);
    connection_ = nullptr; // breaks the session <-> actor cycle
  }
  beast::error_code ignored;
  timer_.cancel(ignored);
  socket_.close(ignored);
}

} // namespace phx::detail
