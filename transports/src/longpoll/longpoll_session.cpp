#include "longpoll/longpoll_session.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "phx/actors/connection.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"
#include "server_state.hpp"

namespace phx::detail {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;
using outcome = longpoll_session::poll_result::outcome;

longpoll_session::longpoll_session(std::string id, std::shared_ptr<server_state> state,
                                   net::any_io_executor executor, connection_slot slot,
                                   std::uint64_t number)
  : id_(std::move(id)), id_number_(number), state_(std::move(state)), slot_(std::move(slot)), expiry_(std::move(executor)),
    window_(state_->config.longpoll_window), out_(state_->config.max_outbound_bytes, &metrics::node().outbound_queued_bytes),
    last_poll_(clock::now()) {
}

longpoll_session::~longpoll_session() {
  if (connection_) // destroyed with a stopped io_context: the actor must stop too
    notify_closed(connection_);
}

void longpoll_session::start(caf::actor connection) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    connection_ = std::move(connection);
  }
  arm_expiry();
}

// -- polls ----------------------------------------------------------------------

std::uint64_t longpoll_session::poll(poll_handler answer) {
  poll_handler older;
  poll_result now;
  std::vector<post_handler> posts_gone;
  std::uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    last_poll_ = clock::now();
    // Only the newest poll waits (Phoenix does the same): the older one
    // hears 204 now and its client, if it is still there, polls again.
    older = std::move(poll_answer_);
    poll_answer_ = nullptr;
    poll_ticket_ = 0;
    if (out_.has_pending()) {
      now = poll_result{outcome::messages, take_frames_locked()};
      if (now.frames.empty() && phase_ != phase::open) // only the end was queued
        now.what = outcome::gone;
    } else if (phase_ != phase::open) {
      now.what = outcome::gone;
    } else {
      ticket = next_ticket_++;
      poll_ticket_ = ticket;
      poll_answer_ = std::move(answer);
    }
    if (now.what == outcome::gone)
      go_locked(posts_gone);
  }
  if (older)
    older(poll_result{});
  if (ticket == 0)
    answer(std::move(now));
  for (auto& post : posts_gone)
    post(410);
  return ticket;
}

void longpoll_session::end_poll(std::uint64_t ticket) {
  poll_handler answer;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (ticket == 0 || ticket != poll_ticket_)
      return;
    answer = std::move(poll_answer_);
    poll_answer_ = nullptr;
    poll_ticket_ = 0;
    last_poll_ = clock::now(); // the window counts as polling
  }
  answer(poll_result{});
}

std::vector<frame> longpoll_session::take_frames_locked() {
  std::vector<frame> frames;
  if (!out_.take_batch())
    return frames;
  frames.reserve(out_.batch().size());
  std::size_t bytes = 0;
  for (auto& f : out_.batch())
    if (f.kind == outbound_kind::data) {
      frames.push_back(f.payload);
      bytes += f.payload.size();
    }
  out_.batch_written();
  auto& m = metrics::node(); // handed to the poll's answer: as good as written
  m.frames_written.add(static_cast<std::int64_t>(frames.size()));
  m.bytes_written.add(static_cast<std::int64_t>(bytes));
  return frames;
}

void longpoll_session::schedule_answer_locked() {
  if (!poll_answer_ || answer_scheduled_)
    return;
  answer_scheduled_ = true;
  net::post(expiry_.get_executor(), [self = shared_from_this()] { self->answer_poll(); });
}

void longpoll_session::answer_poll() {
  poll_handler answer;
  poll_result result;
  std::vector<post_handler> posts_gone;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    answer_scheduled_ = false;
    if (!poll_answer_)
      return;
    result.frames = take_frames_locked();
    if (!result.frames.empty())
      result.what = outcome::messages;
    else if (phase_ != phase::open)
      result.what = outcome::gone;
    else
      return; // nothing after all (a newer poll took it): wait on
    answer = std::move(poll_answer_);
    poll_answer_ = nullptr;
    poll_ticket_ = 0;
    last_poll_ = clock::now();
    if (result.what == outcome::gone)
      go_locked(posts_gone);
  }
  answer(std::move(result));
  for (auto& post : posts_gone)
    post(410);
}

// -- posts ----------------------------------------------------------------------

std::uint64_t longpoll_session::post(std::vector<client_frame> frames, post_handler answer) {
  caf::actor connection;
  std::vector<post_handler> answered;
  std::uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (phase_ != phase::open || !connection_) {
      answered.push_back(std::move(answer));
      ticket = next_ticket_++;
    } else {
      // Frames handed over and not yet taken are bounded as a WebSocket's
      // are: a client posting faster than its channels work is told so.
      if (delivered_ - consumed_ + frames.size() > state_->config.max_frames_in_flight)
        return 0;
      ticket = next_ticket_++;
      delivered_ += frames.size();
      posts_.push_back(waiting_post{ticket, delivered_, std::move(answer)});
      connection = connection_;
      take_taken_posts_locked(answered); // an empty POST
    }
  }
  if (connection) {
    auto& m = metrics::node();
    m.frames_read.add(static_cast<std::int64_t>(frames.size()));
    for (auto& f : frames) {
      m.bytes_read.add(static_cast<std::int64_t>(f.data.size()));
      deliver_frame(connection, std::move(f.data), f.binary);
    }
  }
  for (auto& done : answered)
    done(connection ? 200 : 410);
  return ticket;
}

void longpoll_session::end_post(std::uint64_t ticket) {
  post_handler answer;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = std::find_if(posts_.begin(), posts_.end(),
                          [&](const waiting_post& p) { return p.ticket == ticket; });
    if (i == posts_.end())
      return;
    answer = std::move(i->answer);
    posts_.erase(i);
  }
  answer(408);
}

void longpoll_session::take_taken_posts_locked(std::vector<post_handler>& answered) {
  auto taken = [&](const waiting_post& p) { return p.target <= consumed_; };
  for (auto& p : posts_)
    if (taken(p))
      answered.push_back(std::move(p.answer));
  posts_.erase(std::remove_if(posts_.begin(), posts_.end(), taken), posts_.end());
}

void longpoll_session::frame_consumed() {
  std::vector<post_handler> answered;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ++consumed_;
    take_taken_posts_locked(answered);
  }
  for (auto& done : answered)
    done(200);
}

// -- frames for the client ----------------------------------------------------------

void longpoll_session::send(frame f) {
  std::vector<post_handler> ended;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    outbound_frame out{std::move(f), outbound_kind::data};
    switch (out_.admit(out, false)) {
      case outbound_queue::admission::refused:
        return;
      case outbound_queue::admission::accepted:
        out_.push(std::move(out));
        return schedule_answer_locked();
      case outbound_queue::admission::overflow:
        metrics::node().slow_reader_closes.add(1);
        // The queue dropped what the client has not fetched: the session
        // ends, and the client, told 410, reconnects and rejoins.
        log_for(log_level::warning, id_number_, "closing long-poll session: more than ", out_.max_bytes(),
            " bytes queued between polls");
        out_.push(std::move(out));
        end_locked(ended);
        break;
    }
  }
  for (auto& post : ended)
    post(410);
}

void longpoll_session::close(close_code code, std::string reason) {
  std::vector<post_handler> ended;
  // A frame the protocol could not take (1007, 1003) makes its POST a 400.
  int status = code == close_code::invalid_payload || code == close_code::unsupported_data ? 400
                                                                                           : 410;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    outbound_frame end{frame::text(std::move(reason)), outbound_kind::close};
    if (out_.admit(end, true) == outbound_queue::admission::refused)
      return; // over already
    out_.push(std::move(end));
    end_locked(ended);
  }
  for (auto& post : ended)
    post(status);
}

// -- the end ----------------------------------------------------------------------

void longpoll_session::end_locked(std::vector<post_handler>& ended) {
  if (phase_ != phase::open)
    return;
  phase_ = phase::closed;
  if (connection_) {
    notify_closed(connection_);
    connection_ = nullptr; // breaks the session <-> actor cycle
  }
  for (auto& p : posts_)
    ended.push_back(std::move(p.answer));
  posts_.clear();
  // A waiting poll takes what is left, then hears 410.
  schedule_answer_locked();
}

void longpoll_session::go_locked(std::vector<post_handler>& ended) {
  end_locked(ended);
  if (phase_ == phase::gone)
    return;
  phase_ = phase::gone;
  out_.clear();
  boost::system::error_code ignored;
  expiry_.cancel(ignored);
  state_->longpolls.remove(id_, this);
}

void longpoll_session::abandon() {
  std::vector<post_handler> ended;
  poll_handler waiting;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    waiting = std::move(poll_answer_);
    poll_answer_ = nullptr;
    poll_ticket_ = 0;
    go_locked(ended);
  }
  if (waiting)
    waiting(poll_result{outcome::gone, {}});
  for (auto& post : ended)
    post(410);
}

void longpoll_session::arm_expiry() {
  // Checked every 1.5 windows, as Phoenix does: a session ends 1.5 to 3
  // windows after its last poll.
  expiry_.expires_after(window_ + window_ / 2);
  expiry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec)
      self->on_expiry();
  });
}

void longpoll_session::on_expiry() {
  std::vector<post_handler> ended;
  bool alive = true;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (phase_ == phase::gone)
      return;
    auto idle = clock::now() - last_poll_;
    if (poll_answer_ || idle < window_ + window_ / 2) {
      // Polled lately, or a poll waits right now: look again later.
    } else {
      log_for(log_level::info, id_number_, "closing long-poll session: no poll for ",
          std::chrono::duration_cast<std::chrono::milliseconds>(idle).count(), " ms");
      go_locked(ended);
    }
    alive = phase_ != phase::gone;
  }
  for (auto& post : ended)
    post(410);
  if (alive)
    arm_expiry();
}

} // namespace phx::detail
