#pragma once
// A Phoenix long-poll client session over one keep-alive HTTP/1.1
// connection, as the worker's other connections are: a GET opens the session
// (status 410 with its token: "open"), then the connection always carries
// exactly one request:
//   - a POST of the frames the handler sent (x-ndjson, up to 100 a request)
//     when any wait, answered {"status":200} once the server took them;
//   - else a GET that waits up to the server's window and brings every
//     frame queued since the previous one (200), or nothing (204).
// The server reads one request at a time per connection, so a frame sent
// while a GET waits leaves when that GET is answered (at most one window
// later): replies are never faster than the poll cycle. Closing is dropping
// the socket, as phoenix.js does: the server ends the session after 1.5 to 3
// windows without a poll.
#include "connection.hpp"
#include "longpoll_codec.hpp"

#include <vector>

namespace bench {

// A worker's long-poll traffic, summed over its sessions.
struct longpoll_stats {
  int64_t polls = 0;          // GETs of open sessions sent
  int64_t polls_messages = 0; // ... answered 200 with messages
  int64_t polls_empty = 0;    // ... answered 204 (window over)
  int64_t messages = 0;       // frames received in poll answers
  int64_t posts = 0;          // POSTs sent
  int64_t posts_refused = 0;  // POSTs answered other than 200 or 410
  int64_t gone = 0;           // 410 to a poll or POST: the server ended the session
};

class longpoll_session final : public connection {
public:
  // `target` and `stats` are the worker's, shared by its sessions.
  longpoll_session(int epoll_fd, uint32_t slot, connection_handler& handler,
                   const longpoll_target& target, longpoll_stats& stats);

  // Queues the frame; it is POSTed once no request is outstanding.
  void send_text(std::string_view text) override;
  // Drops the socket (and any request in flight): the session expires.
  void close_gracefully() override;

private:
  enum class request { none, open, poll, post };

  void reset() override;
  void on_connected() override;
  void on_input() override;
  close_cause end_cause(bool eof) const override;
  void on_answer(const http_answer& a);
  void on_open_answer(const poll_body& b);
  void on_poll_answer(const poll_body& b);
  void on_post_answer(const poll_body& b);
  // Sends the next request when none is outstanding: a POST, else a GET.
  void next_request();

  const longpoll_target& target_;
  longpoll_stats& stats_;
  request inflight_ = request::none;
  std::string token_;
  std::vector<std::string> queued_; // frames not yet POSTed (or in the POST in flight)
  size_t posted_ = 0;               // frames of queued_ in the POST in flight
  std::string text_;                // scratch: the message being read
};

} // namespace bench
