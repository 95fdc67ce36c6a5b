#include "longpoll_session.hpp"

#include <algorithm>

namespace bench {
namespace {

// The server refuses a POST of more lines (Phoenix ignores the rest).
constexpr size_t max_frames_per_post = 100;

} // namespace

longpoll_session::longpoll_session(int epoll_fd, uint32_t slot, connection_handler& handler,
                                   const longpoll_target& target, longpoll_stats& stats)
    : connection(epoll_fd, slot, handler), target_(target), stats_(stats) {}

void longpoll_session::reset() {
  inflight_ = request::none;
  token_.clear();
  queued_.clear();
  posted_ = 0;
}

void longpoll_session::on_connected() {
  inflight_ = request::open;
  send_bytes(longpoll_get(target_, {}));
}

close_cause longpoll_session::end_cause(bool) const {
  return state_ == conn_state::upgrading ? close_cause::upgrade_failed : close_cause::reset;
}

void longpoll_session::send_text(std::string_view text) {
  if (state_ != conn_state::open)
    return;
  queued_.emplace_back(text);
  next_request();
}

void longpoll_session::close_gracefully() {
  if (state_ != conn_state::idle && state_ != conn_state::closed)
    finish(close_cause::local);
}

void longpoll_session::next_request() {
  if (inflight_ != request::none || state_ != conn_state::open || !has_socket())
    return;
  if (queued_.empty()) {
    inflight_ = request::poll;
    ++stats_.polls;
    return send_bytes(longpoll_get(target_, token_));
  }
  posted_ = std::min(queued_.size(), max_frames_per_post);
  std::string body;
  for (size_t i = 0; i < posted_; ++i) {
    body += queued_[i];
    body += '\n';
  }
  inflight_ = request::post;
  ++stats_.posts;
  send_bytes(longpoll_post(target_, token_, body));
}

void longpoll_session::on_input() {
  while (has_socket()) {
    http_answer a;
    int rc = parse_http_answer(in_.view(), a);
    if (rc < 0)
      return finish(close_cause::protocol_error);
    if (rc == 0)
      return;
    on_answer(a); // a.body views into in_: consumed only now
    if (state_ == conn_state::closed)
      return;
    in_.consume(a.size);
    if (a.close) // the server ends the keep-alive connection, so the session
      return finish(close_cause::server_close);
  }
}

void longpoll_session::on_answer(const http_answer& a) {
  poll_body b;
  if (a.status != 200 || !scan_poll_body(a.body, b) || inflight_ == request::none)
    return finish(inflight_ == request::open ? close_cause::upgrade_failed
                                             : close_cause::protocol_error);
  switch (inflight_) {
  case request::open: on_open_answer(b); break;
  case request::poll: on_poll_answer(b); break;
  case request::post: on_post_answer(b); break;
  case request::none: break;
  }
  if (state_ != conn_state::open)
    return;
  inflight_ = request::none; // kept until now: frames sent meanwhile wait for one POST
  next_request();
}

void longpoll_session::on_open_answer(const poll_body& b) {
  if (b.status != 410 || b.token.empty() || !json_unescape(b.token, token_))
    return finish(close_cause::upgrade_failed);
  state_ = conn_state::open;
  handler_.on_open(*this);
}

void longpoll_session::on_poll_answer(const poll_body& b) {
  if (b.status == 410) {
    ++stats_.gone;
    return finish(close_cause::server_close);
  }
  if (b.status == 204) {
    ++stats_.polls_empty;
    return;
  }
  if (b.status != 200)
    return finish(close_cause::protocol_error);
  ++stats_.polls_messages;
  std::string_view rest = b.messages;
  while (state_ == conn_state::open && next_message(rest, text_)) {
    ++stats_.messages;
    phx_msg m;
    if (phx_scan(text_, m))
      handler_.on_message(*this, m);
  }
  // A server may renew the token with any answer.
  if (state_ == conn_state::open && !b.token.empty() && !json_unescape(b.token, token_))
    finish(close_cause::protocol_error);
}

void longpoll_session::on_post_answer(const poll_body& b) {
  if (b.status == 410) {
    ++stats_.gone;
    return finish(close_cause::server_close);
  }
  if (b.status != 200) {
    ++stats_.posts_refused;
    return finish(close_cause::protocol_error);
  }
  queued_.erase(queued_.begin(), queued_.begin() + long(posted_));
  posted_ = 0;
}

} // namespace bench
