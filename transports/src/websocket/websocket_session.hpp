#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <caf/actor.hpp>

#include "phx/protocol/frame_sink.hpp"
#include "outbound_queue.hpp"
#include "server_state.hpp"
#include "tls/tls_wire.hpp"
#include "websocket/websocket_codec.hpp"

namespace phx::detail {

/// One WebSocket connection, and the frame_sink of its connection actor.
///
/// http_session checks the upgrade; the 101 and the frames are ours
/// (websocket_handshake, websocket_codec), so
/// that an idle connection holds no buffer at all and everything queued for a
/// client leaves in one gathered write. Reads go to the connection actor.
/// A frame sent while nothing is in flight is written at once by the sending
/// thread; otherwise frames queue up (bounded in bytes) for the strand.
///
/// What is queued, and the rules of the byte bound and of closing, is an
/// outbound_queue under the session's mutex. The session's life is one
/// forward-only `phase` (handshake, open, closing, close_sent, done), and who
/// writes the queue now is one `writer` token (the sending thread, the
/// registry's flush, or the strand). Pings are answered with at most one pong waiting at a time (a newer
/// ping replaces the payload to answer, as RFC 6455 5.5.3 allows), and
/// reading pauses while that pong is unwritten: a client that pings without
/// reading is slowed down by TCP instead of growing our memory.
///
/// Over TLS (wss://) the same happens with plaintext: a tls_wire encrypts
/// what the session writes (small frames gathered into whole records) and
/// decrypts what it reads, on the same non-blocking socket.
class websocket_session final : public frame_sink,
                                public std::enable_shared_from_this<websocket_session> {
public:
  websocket_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state,
                    connection_slot slot = {}, std::unique_ptr<tls_wire> tls = nullptr,
                    std::uint64_t number = next_connection_id());
  ~websocket_session() override;

  /// Writes `handshake` (the 101 response), then reads frames for `connection`.
  void start(caf::actor connection, std::string handshake);

  void send(frame f) override;
  bool defer(frame f) override;
  void flush() override;
  void close(close_code code, std::string reason) override;
  void frame_consumed() override;

  /// Ends the session at once, without a close handshake. Only for shutdown,
  /// once the I/O threads have stopped.
  void abandon();

  // -- frame_reader handler ---------------------------------------------------
  void on_message(std::string&& data, bool binary);
  void on_ping(std::string&& payload);
  void on_close(std::optional<std::uint16_t> code);

  /// One frame on the wire: its header and its payload's parts (see frame).
  static constexpr std::size_t wire_buffer_count = 4;
  using wire_buffers = std::array<boost::asio::const_buffer, wire_buffer_count>;

private:
  using outgoing = outbound_frame;

  void on_handshake_written(boost::beast::error_code ec);
  void wait_readable();
  void on_readable(boost::beast::error_code ec);
  // The queue's verdict on `out`; false when it is dropped.
  bool admit_locked(outgoing& out, bool is_close);
  void enqueue(outgoing out, bool is_close);
  // Writes `out` now if nothing is in flight, else queues it; true when it
  // was queued (not written whole, and not dropped).
  bool enqueue_locked(outgoing out, bool is_close);
  // A queued pong is out: answer the newest ping read meanwhile, or let
  // reading go on.
  void pong_written_locked();
  // Reading is paused while too many frames wait for the actor or a pong
  // waits to be written.
  bool must_pause_reading();
  void resume_reading();
  static ws::opcode opcode_of(const outgoing& out) noexcept;
  static wire_buffers wire_parts(const outgoing& out, std::uint8_t* header) noexcept;
  std::size_t write_now(const outgoing& out) noexcept;
  // One non-blocking gathered write (through TLS if any); bytes taken, 0
  // on a full socket or an error (the strand's write meets it again).
  std::size_t send_now(iovec* iov, std::size_t count) noexcept;
  std::size_t read_now(char* data, std::size_t size, boost::beast::error_code& ec);
  // Writes all of `buffers`, then `done` (bytes written) on the strand.
  template <class Buffers, class Handler>
  void write_async(const Buffers& buffers, Handler&& done);
  static void count_written(std::size_t bytes, std::size_t frames) noexcept;
  void write_queued_locked();
  void schedule_close_locked();
  void schedule_write_locked();
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void arm_timer(std::chrono::steady_clock::time_point deadline);
  void start_close_clock();
  void on_timer(boost::beast::error_code ec);
  // Called once when the connection is over: tells the actor, drops the queue.
  void finish(const char* why);

  const std::uint64_t id_; ///< in log lines (connect_info::connection_id)
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_; ///< idle timeout, then the close handshake's bound
  std::string handshake_; ///< only while the 101 did not fit in one send
  ws::frame_reader reader_;
  std::chrono::steady_clock::time_point last_read_;
  std::shared_ptr<server_state> state_;
  // After state_: destroyed first, it gives its count back to the state,
  // which this session may be the last to hold.
  connection_slot slot_; ///< --max-connections, the connections gauge
  caf::actor connection_;
  std::unique_ptr<tls_wire> tls_; ///< wss://; none for ws://

  /// The session's life, in order; it only moves forward. Changed on the
  /// strand (open: under mtx_ too, so that senders see it with the queue).
  enum class phase : std::uint8_t {
    handshake,  ///< the 101 is being written: frames queue up
    open,       ///< frames flow both ways
    closing,    ///< a close frame is queued; the close clock runs
    close_sent, ///< our close frame is on the wire: only the client's EOF matters
    done,       ///< over: socket closed, actor told, queue dropped
  };
  /// Who writes what is queued. Under mtx_.
  enum class writer : std::uint8_t {
    sender, ///< nobody: the thread that queues a frame writes it at once
    flush,  ///< the registry's flush() owes a write (defer returned true)
    strand, ///< a write is posted to the strand or in flight there
  };

  bool is(phase p) const noexcept { return phase_.load(std::memory_order_relaxed) == p; }
  bool past(phase p) const noexcept { return phase_.load(std::memory_order_relaxed) > p; }
  void advance(phase p) noexcept;

  // Strand-only (and the queue's batch).
  std::vector<std::uint8_t> headers_;
  std::uint8_t single_header_[ws::max_header_size];
  std::atomic<phase> phase_{phase::handshake};
  bool read_paused_ = false;
  bool peer_closed_ = false;  ///< the client sent close: finish once the echo is out

  // Frames handed to the connection actor and not yet handled by it.
  std::atomic<unsigned> frames_in_flight_{0};

  // Shared with other threads, under mtx_.
  std::mutex mtx_;
  outbound_queue out_;        ///< closed once a close frame is queued
  bool pong_waiting_ = false; ///< a pong is queued or in flight
  /// Payload of a ping read while a pong waits; a pointer, so that the
  /// sessions that never see a ping flood pay 8 bytes for it.
  std::unique_ptr<std::string> next_pong_;
  writer writer_ = writer::sender;
};

} // namespace phx::detail
