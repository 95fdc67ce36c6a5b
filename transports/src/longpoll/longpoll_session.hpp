#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/actor.hpp>

#include "phx/protocol/frame_sink.hpp"
#include "connection_slot.hpp"
#include "outbound_queue.hpp"

namespace phx::detail {

struct server_state;

/// One long-poll client: what a WebSocket connection is, with the socket
/// replaced by HTTP requests. It is the frame_sink of its connection actor;
/// frames wait in an outbound_queue (the WebSocket session's, with the same
/// byte bound) until a GET takes them all, and a POST hands client frames to
/// the actor and is answered once the actor has taken them.
///
/// Its life: open, then closed (the connection ended: what is queued goes
/// with the next poll), then gone (the poll after that hears 410, and the
/// session leaves the table). A session nobody polls for 1.5 windows is gone
/// at once, and so are its channels and subscriptions.
///
/// Answers go to handlers the HTTP side gives (poll_handler, post_handler);
/// they are called exactly once each, outside the session's lock, from any
/// thread.
class longpoll_session final : public frame_sink,
                               public std::enable_shared_from_this<longpoll_session> {
public:
  /// What a poll hears.
  struct poll_result {
    enum class outcome {
      messages, ///< 200: `frames`, oldest first
      timeout,  ///< 204: nothing within the window, or a newer poll took over
      gone,     ///< 410: the session is over
    };
    outcome what = outcome::timeout;
    std::vector<frame> frames;
  };
  using poll_handler = std::function<void(poll_result)>;
  /// The status of a POST: 200 (all taken), 400 (a frame did not decode),
  /// 408 (not taken within the window), 410 (the session is over).
  using post_handler = std::function<void(int status)>;
  /// A client frame, and whether it came as a binary (base64) line.
  struct client_frame {
    std::string data;
    bool binary = false;
  };

  longpoll_session(std::string id, std::shared_ptr<server_state> state,
                   boost::asio::any_io_executor executor, connection_slot slot = {},
                   std::uint64_t number = next_connection_id());
  ~longpoll_session() override;

  /// Starts the expiry clock; frames now flow to and from `connection`.
  void start(caf::actor connection);

  const std::string& id() const noexcept { return id_; }

  /// Answers at once with what is queued, or waits for frames until
  /// end_poll(ticket); a poll that was waiting hears `timeout` now.
  std::uint64_t poll(poll_handler answer);
  /// The window of poll `ticket` is over: it hears `timeout` if it still waits.
  void end_poll(std::uint64_t ticket);

  /// Hands `frames` to the connection actor, in order; `answer` hears 200
  /// once it has taken them all. Returns 0 (and answers nothing) when more
  /// frames than the in-flight limit would wait: the caller answers 429.
  std::uint64_t post(std::vector<client_frame> frames, post_handler answer);
  /// The window of post `ticket` is over: it hears 408 if still unanswered.
  void end_post(std::uint64_t ticket);

  /// Ends the session now (server shutdown).
  void abandon();

  // -- frame_sink ---------------------------------------------------------------
  void send(frame f) override;
  void close(close_code code, std::string reason) override;
  void frame_consumed() override;

private:
  enum class phase : std::uint8_t { open, closed, gone };

  struct waiting_post {
    std::uint64_t ticket;
    std::uint64_t target; ///< taken once consumed_ reaches it
    post_handler answer;
  };

  // Hands queued frames to the waiting poll, from the executor, so that
  // frames sent meanwhile (a burst) leave in the same answer.
  void schedule_answer_locked();
  void answer_poll();
  // Takes every queued data frame.
  std::vector<frame> take_frames_locked();
  // Moves the answers of posts whose frames are all taken into `answered`.
  void take_taken_posts_locked(std::vector<post_handler>& answered);
  // Open -> closed: the actor is told; waiting posts move into `ended`.
  void end_locked(std::vector<post_handler>& ended);
  // -> gone: the queue goes, and the session leaves the table.
  void go_locked(std::vector<post_handler>& ended);
  void arm_expiry();
  void on_expiry();

  const std::string id_;
  const std::uint64_t id_number_; ///< in log lines (connect_info::connection_id)
  std::shared_ptr<server_state> state_;
  // After state_: destroyed first, it gives its count back to the state,
  // which this session may be the last to hold.
  connection_slot slot_; ///< --max-connections, the connections gauge
  boost::asio::steady_timer expiry_;
  const std::chrono::milliseconds window_;

  std::mutex mtx_;
  phase phase_ = phase::open;
  caf::actor connection_;
  outbound_queue out_;
  std::uint64_t next_ticket_ = 1;
  std::uint64_t poll_ticket_ = 0; ///< the waiting poll's; 0: none waits
  poll_handler poll_answer_;
  bool answer_scheduled_ = false;
  std::chrono::steady_clock::time_point last_poll_;
  std::vector<waiting_post> posts_;
  std::uint64_t delivered_ = 0; ///< client frames handed to the actor
  std::uint64_t consumed_ = 0;  ///< ... and taken by it
};

} // namespace phx::detail
