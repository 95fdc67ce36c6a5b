#include "websocket/websocket_session.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "phx/actors/connection.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"

namespace phx::detail {

namespace beast = boost::beast;
namespace net = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// How long the closing handshake may take before the socket is just closed.
constexpr auto close_timeout = std::chrono::seconds(5);

// Bytes read per system call; one buffer per I/O thread, shared by all its
// sessions, so that idle connections own none.
constexpr std::size_t read_chunk = 64 * 1024;

// Appends the buffers in `parts` to `iov`, skipping empty ones.
std::size_t append_iovecs(const websocket_session::wire_buffers& parts, iovec* iov) {
  std::size_t count = 0;
  for (auto& part : parts)
    if (part.size() > 0)
      iov[count++] = iovec{const_cast<void*>(part.data()), part.size()};
  return count;
}

} // namespace

websocket_session::websocket_session(net::ip::tcp::socket&& socket,
                                     std::shared_ptr<server_state> state, connection_slot slot,
                                     std::unique_ptr<tls_wire> tls, std::uint64_t number)
  : id_(number), socket_(std::move(socket)), timer_(socket_.get_executor()),
    reader_(state->config.max_frame_size), state_(std::move(state)), slot_(std::move(slot)),
    tls_(std::move(tls)), out_(state_->config.max_outbound_bytes, &metrics::node().outbound_queued_bytes) {
}

websocket_session::~websocket_session() {
  state_->remove_session(this);
  if (connection_) // destroyed by a stopped io_context: the actor must still stop
    notify_closed(connection_);
}

void websocket_session::abandon() {
  finish("server stopped");
}

void websocket_session::start(caf::actor connection, std::string handshake) {
  connection_ = std::move(connection);
  state_->add_session(this, weak_from_this());
  beast::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec)
    return finish(ec.message().c_str());
  // A fresh socket takes the 101 in one send; the rest, if ever, goes async,
  // bounded by the idle timeout like everything else.
  last_read_ = clock::now();
  arm_timer(last_read_ + state_->config.idle_timeout);
  iovec whole{handshake.data(), handshake.size()};
  auto sent = send_now(&whole, 1);
  if (sent == handshake.size())
    return on_handshake_written({});
  handshake_ = handshake.substr(sent);
  write_async(net::buffer(handshake_),
              [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                self->handshake_ = {};
                self->on_handshake_written(write_ec);
              });
}

void websocket_session::on_handshake_written(beast::error_code ec) {
  if (ec)
    return finish(ec.message().c_str());
  bool close_queued = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    advance(phase::open);
    if (out_.has_pending())
      schedule_write_locked();
    close_queued = out_.closed();
  }
  if (close_queued) // closed during the handshake: the clock starts now
    start_close_clock();
  wait_readable();
}

// -- reading ------------------------------------------------------------------

void websocket_session::wait_readable() {
  auto on_ready = [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); };
  if (tls_ && tls_->has_buffered_input()) // read already: the socket would not wake us
    return net::post(socket_.get_executor(), [on_ready] { on_ready({}); });
  bool for_write = tls_ && tls_->read_wants_write();
  socket_.async_wait(for_write ? net::ip::tcp::socket::wait_write : net::ip::tcp::socket::wait_read,
                     std::move(on_ready));
}

void websocket_session::on_readable(beast::error_code ec) {
  if (is(phase::done))
    return;
  if (ec)
    return finish(ec.message().c_str());
  thread_local std::array<char, read_chunk> chunk;
  // A bounded number of chunks per wake-up, so that one busy client cannot
  // keep this I/O thread from its other sessions.
  for (int round = 0; round < 16; ++round) {
    auto n = read_now(chunk.data(), chunk.size(), ec);
    if (ec == net::error::would_block || ec == net::error::try_again)
      break;
    if (ec)
      return finish(ec == net::error::eof ? "client closed the connection" : ec.message().c_str());
    last_read_ = clock::now();
    metrics::node().bytes_read.add(static_cast<std::int64_t>(n));
    if (is(phase::close_sent))
      continue; // only the client's EOF matters now
    if (auto error = reader_.feed(chunk.data(), n, *this)) {
      log_for(log_level::warning, id_, "closing connection (", static_cast<int>(error->code), " ",
          to_string(error->code), "): ", error->why);
      close(error->code, error->why);
      return wait_readable(); // read on until the client's EOF
    }
    if (is(phase::done) || peer_closed_)
      return;
    if (reader_.paused() || must_pause_reading()) {
      read_paused_ = true; // frame_consumed or pong_written_locked resumes
      return;
    }
    if (n < chunk.size())
      break;
  }
  wait_readable();
}

bool websocket_session::must_pause_reading() {
  if (frames_in_flight_.load() >= state_->config.max_frames_in_flight)
    return true;
  std::lock_guard<std::mutex> guard{mtx_};
  return pong_waiting_;
}

void websocket_session::resume_reading() {
  if (!read_paused_ || is(phase::done) || must_pause_reading())
    return;
  if (reader_.paused()) { // frames read before the pause come first
    if (auto error = reader_.resume(*this)) {
      log_for(log_level::warning, id_, "closing connection (", static_cast<int>(error->code), " ",
          to_string(error->code), "): ", error->why);
      close(error->code, error->why);
    } else if (is(phase::done) || peer_closed_ || reader_.paused()) {
      return;
    }
  }
  read_paused_ = false;
  wait_readable();
}

void websocket_session::on_message(std::string&& data, bool binary) {
  if (past(phase::closing) || !connection_)
    return;
  metrics::node().frames_read.add(1);
  // The limit is exact: the reader keeps what follows until frames are handled.
  if (frames_in_flight_.fetch_add(1) + 1 >= state_->config.max_frames_in_flight)
    reader_.pause();
  deliver_frame(connection_, std::move(data), binary);
}

void websocket_session::on_ping(std::string&& payload) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (pong_waiting_) { // answering the newest ping is enough (RFC 6455 5.5.3)
    if (next_pong_)
      *next_pong_ = std::move(payload);
    else
      next_pong_ = std::make_unique<std::string>(std::move(payload));
    return;
  }
  pong_waiting_ = enqueue_locked(outgoing{frame::text(std::move(payload)), outbound_kind::pong}, false);
}

void websocket_session::pong_written_locked() {
  pong_waiting_ = false;
  if (next_pong_) {
    auto payload = std::move(*next_pong_);
    next_pong_.reset(); // a flood's one allocation goes with it
    pong_waiting_ = enqueue_locked(outgoing{frame::text(std::move(payload)), outbound_kind::pong},
                                   false);
  }
  if (!pong_waiting_)
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->resume_reading(); });
}

void websocket_session::on_close(std::optional<std::uint16_t> code) {
  peer_closed_ = true;
  if (is(phase::close_sent))
    return finish("closing handshake done");
  // Echo the client's close (RFC 6455 5.5.1); finish once it is written.
  auto echo = code ? static_cast<close_code>(*code) : close_code::normal;
  enqueue(outgoing{frame::text(ws::close_payload(echo, "")), outbound_kind::close}, true);
}

void websocket_session::frame_consumed() {
  // Reading paused at the limit resumes once half of it is handled: one
  // wake-up per half a limit of frames rather than one per frame.
  if (frames_in_flight_.fetch_sub(1) != state_->config.max_frames_in_flight / 2 + 1)
    return;
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->resume_reading(); });
}

// -- writing ------------------------------------------------------------------

void websocket_session::send(frame f) {
  enqueue(outgoing{std::move(f), outbound_kind::data}, false);
}

void websocket_session::close(close_code code, std::string reason) {
  enqueue(outgoing{frame::text(ws::close_payload(code, reason)), outbound_kind::close}, true);
}

bool websocket_session::defer(frame f) {
  outgoing out{std::move(f), outbound_kind::data};
  std::lock_guard<std::mutex> guard{mtx_};
  if (!admit_locked(out, false))
    return false;
  out_.push(std::move(out));
  if (out_.pending().back().kind == outbound_kind::close) { // the outbound bound was hit
    schedule_close_locked();
    return false;
  }
  if (writer_ != writer::sender || is(phase::handshake))
    return false; // whoever writes now takes this frame along
  writer_ = writer::flush; // flush() writes it, or hands it to the strand
  return true;
}

void websocket_session::flush() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!out_.has_pending()) { // finish() emptied it: the socket may be closed
    writer_ = writer::sender;
    return;
  }
  write_queued_locked();
  if (!out_.has_pending()) {
    writer_ = writer::sender;
  } else { // the socket is full, or a close frame waits: the strand goes on
    writer_ = writer::strand;
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->do_write(); });
  }
}

bool websocket_session::admit_locked(outgoing& out, bool is_close) {
  switch (out_.admit(out, is_close)) {
    case outbound_queue::admission::refused:
      return false;
    case outbound_queue::admission::overflow:
      metrics::node().slow_reader_closes.add(1);
      log_for(log_level::warning, id_, "closing connection (1008): more than ", out_.max_bytes(),
          " bytes queued for a client that does not read");
      return true;
    case outbound_queue::admission::accepted:
      return true;
  }
  return false;
}

void websocket_session::enqueue(outgoing out, bool is_close) {
  std::lock_guard<std::mutex> guard{mtx_};
  enqueue_locked(std::move(out), is_close);
}

bool websocket_session::enqueue_locked(outgoing out, bool is_close) {
  if (!admit_locked(out, is_close))
    return false;
  bool is_close_frame = out.kind == outbound_kind::close;
  if (!is_close_frame && writer_ == writer::sender && !is(phase::handshake)) {
    // Nothing queued or in flight: write from this thread now. Skipping the
    // hop to the strand and back saves a push or a reply two thread wake-ups.
    // (the queue is open under mtx_, so finish() has not closed the socket.)
    out.written = static_cast<std::uint32_t>(write_now(out)); // at most its wire size
    if (out.done())
      return false;
    // The rest, or an error, is the strand's business.
  }
  out_.push(std::move(out));
  schedule_write_locked();
  if (is_close_frame)
    schedule_close_locked();
  return true;
}

void websocket_session::schedule_close_locked() {
  schedule_write_locked();
  // A client that never reads must not keep us forever.
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->start_close_clock(); });
}

void websocket_session::start_close_clock() {
  if (!is(phase::open)) // still in the handshake (its end starts it), or closing already
    return;
  advance(phase::closing);
  arm_timer(clock::now() + close_timeout);
}

ws::opcode websocket_session::opcode_of(const outgoing& out) noexcept {
  switch (out.kind) {
    case outbound_kind::pong:
      return ws::opcode::pong;
    case outbound_kind::close:
      return ws::opcode::close;
    case outbound_kind::data:
      break;
  }
  return out.payload.binary ? ws::opcode::binary : ws::opcode::text;
}

websocket_session::wire_buffers websocket_session::wire_parts(const outgoing& out,
                                                             std::uint8_t* header) noexcept {
  // The header (encoded into `header`) and the payload's parts (one, or
  // three around a spliced body), less what is written.
  auto size = out.payload.size();
  auto payload = out.payload.parts();
  wire_buffers parts{net::const_buffer{header, ws::encode_header(opcode_of(out), size, header)}};
  for (std::size_t i = 0; i < payload.size(); ++i)
    parts[i + 1] = net::const_buffer{payload[i].data(), payload[i].size()};
  std::size_t skip = out.written;
  for (auto& part : parts) {
    auto k = std::min(skip, part.size());
    part += k;
    skip -= k;
  }
  return parts;
}

std::size_t websocket_session::write_now(const outgoing& out) noexcept {
  std::uint8_t header[ws::max_header_size];
  iovec iov[wire_buffer_count];
  auto n = send_now(iov, append_iovecs(wire_parts(out, header), iov));
  count_written(n, n == out.wire_size() ? 1 : 0);
  return n;
}

std::size_t websocket_session::send_now(iovec* iov, std::size_t count) noexcept {
  if (tls_) {
    beast::error_code ec;
    return tls_->write(iov, count, ec);
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  auto n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t websocket_session::read_now(char* data, std::size_t size, beast::error_code& ec) {
  if (tls_)
    return tls_->read(data, size, ec);
  return socket_.read_some(net::buffer(data, size), ec);
}

template <class Buffers, class Handler>
void websocket_session::write_async(const Buffers& buffers, Handler&& done) {
  if (!tls_)
    return net::async_write(socket_, buffers, std::forward<Handler>(done));
  std::vector<net::const_buffer> list;
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it)
    list.emplace_back(*it);
  tls_->async_write(socket_, std::move(list), std::forward<Handler>(done));
}

void websocket_session::count_written(std::size_t bytes, std::size_t frames) noexcept {
  auto& m = metrics::node();
  if (bytes > 0)
    m.bytes_written.add(static_cast<std::int64_t>(bytes));
  if (frames > 0)
    m.frames_written.add(static_cast<std::int64_t>(frames));
}

void websocket_session::write_queued_locked() {
  // One gathered, non-blocking write of the data frames at the head of the
  // queue; a close frame is left to the strand, which knows what follows it.
  constexpr std::size_t max_frames = 256; // at most 4 iovecs each: IOV_MAX
  std::uint8_t headers[max_frames][ws::max_header_size];
  iovec parts[wire_buffer_count * max_frames];
  std::size_t count = 0, frames = 0;
  for (auto& out : out_.pending()) {
    if (frames == max_frames || out.kind == outbound_kind::close)
      break;
    count += append_iovecs(wire_parts(out, headers[frames]), parts + count);
    ++frames;
  }
  if (count == 0)
    return;
  auto n = send_now(parts, count);
  if (n == 0)
    return; // a full socket, or an error the strand's write will meet
  auto queued = out_.pending().size();
  auto done = out_.consume(n, frames);
  count_written(n, queued - out_.pending().size());
  if (done.pong)
    pong_written_locked();
}

void websocket_session::schedule_write_locked() {
  if (writer_ != writer::sender || is(phase::handshake))
    return;
  writer_ = writer::strand;
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->do_write(); });
}

void websocket_session::do_write() {
  if (is(phase::done))
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!out_.take_batch()) {
      writer_ = writer::sender;
      return;
    }
    writer_ = writer::strand; // also when taken over from flush()
  }
  // Everything queued leaves in one gathered write: one system call for
  // many frames is what makes fan-out fast (README, Performance).
  auto on_written = [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->on_write(ec, n);
  };
  // The first frame may be partly written already (write_now, flush). The
  // batch is the strand's until batch_written.
  auto& batch = out_.batch();
  if (batch.size() == 1) { // the common case under light load: no allocation
    return write_async(wire_parts(batch.front(), single_header_), std::move(on_written));
  }
  headers_.resize(batch.size() * ws::max_header_size);
  std::vector<net::const_buffer> buffers;
  buffers.reserve(batch.size() * 2); // spliced frames (rare) grow it
  for (std::size_t i = 0; i < batch.size(); ++i)
    for (auto& part : wire_parts(batch[i], headers_.data() + i * ws::max_header_size))
      if (part.size() > 0)
        buffers.push_back(part);
  write_async(buffers, std::move(on_written));
}

void websocket_session::on_write(beast::error_code ec, std::size_t n) {
  if (is(phase::done))
    return; // finish() emptied the queue and its count
  if (ec)
    return finish(ec.message().c_str());
  outbound_queue::completed done;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    count_written(n, out_.batch().size());
    done = out_.batch_written();
    if (done.pong)
      pong_written_locked();
  }
  if (headers_.capacity() > 64 * ws::max_header_size)
    headers_ = {}; // after a burst, an idle connection holds none
  if (done.close) {
    advance(phase::close_sent);
    if (peer_closed_)
      return finish("closing handshake done");
    // Our close is out: half-close and wait (bounded) for the client's EOF.
    if (tls_)
      tls_->shutdown();
    socket_.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    arm_timer(clock::now() + close_timeout);
    return;
  }
  do_write();
}

// -- timers and the end -------------------------------------------------------

void websocket_session::advance(phase p) noexcept {
  // Forward only: a late start_close_clock must not undo close_sent.
  if (phase_.load(std::memory_order_relaxed) < p)
    phase_.store(p, std::memory_order_relaxed);
}

void websocket_session::arm_timer(clock::time_point deadline) {
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_timer(ec); });
}

void websocket_session::on_timer(beast::error_code ec) {
  if (ec || is(phase::done))
    return;
  if (past(phase::open))
    return finish("closing handshake timed out");
  if (!handshake_.empty())
    return finish("the client did not take the handshake response");
  // The deadline moves with every read; the timer only wakes when it may have
  // passed, so an active connection costs one wake per timeout period.
  auto deadline = last_read_ + state_->config.idle_timeout;
  if (clock::now() < deadline)
    return arm_timer(deadline);
  log_for(log_level::info, id_, "closing connection (1000): no frame received for ",
      state_->config.idle_timeout.count(), " ms");
  close(close_code::normal, "idle timeout");
}

void websocket_session::finish(const char* why) {
  if (is(phase::done))
    return;
  advance(phase::done);
  log_for(log_level::debug, id_, "websocket session over: ", why);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    out_.clear();
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
