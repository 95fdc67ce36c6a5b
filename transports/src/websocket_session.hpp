#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <caf/actor.hpp>

#include "phx/protocol/frame_sink.hpp"
#include "server_state.hpp"

namespace phx::detail {

/// One WebSocket connection on Boost.Beast, and the frame_sink of its
/// connection actor. Reads go to the actor; frames from any thread queue up
/// (bounded in bytes) and leave one write at a time on the session's strand.
class websocket_session final : public frame_sink,
                                public std::enable_shared_from_this<websocket_session> {
public:
  websocket_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state,
                    std::string subprotocol);
  ~websocket_session() override;

  /// Accepts the upgrade `req`, then reads frames for `connection`.
  void start(caf::actor connection,
             boost::beast::http::request<boost::beast::http::string_body> req);

  void send(frame f) override;
  void close(close_code code, std::string reason) override;
  void frame_consumed() override;

  /// Ends the session at once, without a close handshake. Only for shutdown,
  /// once the I/O threads have stopped.
  void abandon();

private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void arm_idle_timer(std::chrono::steady_clock::time_point deadline);
  void on_idle_timer(boost::beast::error_code ec);
  // Called once when the connection is over: tells the actor, drops the queue.
  void finish(const char* why);
  // Schedules do_write on the strand unless one is scheduled (mutex held).
  void schedule_write_locked();

  // A plain socket, not a tcp_stream: the websocket has its own timer, and
  // tcp_stream's two more per connection cost memory for nothing.
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_read_;
  std::shared_ptr<server_state> state_;
  std::string subprotocol_;
  caf::actor connection_;

  // Strand-only: the batch being written, one frame at a time.
  std::vector<frame> batch_;
  std::size_t batch_pos_ = 0;
  bool finished_ = false;
  bool read_paused_ = false;

  // Frames handed to the connection actor and not yet handled by it.
  std::atomic<unsigned> frames_in_flight_{0};

  // Shared with other threads, under mtx_.
  std::mutex mtx_;
  std::vector<frame> queue_;
  std::size_t queued_bytes_ = 0;
  bool write_scheduled_ = false;
  bool closed_ = false; ///< no more frames accepted
  std::optional<std::pair<close_code, std::string>> close_request_;
};

} // namespace phx::detail
