#include "phx/actors/channel_socket.hpp"

#include <stdexcept>

#include "channel_server.hpp"

namespace phx {

namespace {

void throw_on_error(const caf::error& err, const char* what) {
  if (err)
    throw std::runtime_error(std::string{what} + " failed: " + caf::to_string(err));
}

} // namespace

void channel_socket::push(const std::string& event, const json& payload) {
  if (!payload.is_object() && !payload.is_binary())
    throw std::invalid_argument("push payload must be a JSON object or bytes (event \"" + event +
                                "\")");
  send_push(format_->encode(message{join_ref_, nullptr, topic_, event, payload}));
}

void channel_socket::push_encoded(const std::string& event, const encoded_json& payload) {
  send_push(format_->encode(join_ref_, nullptr, topic_, event, payload));
}

void channel_socket::send_push(frame f) {
  if (joined_)
    sink_->send(std::move(f));
  else
    held_pushes_.push_back(std::move(f)); // the join reply must go first
}

caf::error channel_socket::broadcast(std::string event, json payload) const {
  return pubsub_.broadcast(topic_, std::move(event), std::move(payload));
}

void channel_socket::broadcast_or_throw(std::string event, json payload) const {
  throw_on_error(broadcast(std::move(event), std::move(payload)), "broadcast");
}

caf::error channel_socket::broadcast_from(std::string event, json payload) const {
  return pubsub_.broadcast_from(self_->address(), topic_, std::move(event), std::move(payload));
}

void channel_socket::broadcast_from_or_throw(std::string event, json payload) const {
  throw_on_error(broadcast_from(std::move(event), std::move(payload)), "broadcast_from");
}

socket_ref channel_socket::ref() const {
  if (ref_.is_null())
    throw std::logic_error("channel_socket::ref is only available inside handle_in");
  return socket_ref{sink_, format_, topic_, join_ref_, ref_};
}

void channel_socket::after_join(std::function<void()> f) {
  if (joined_) {
    f();
    return;
  }
  if (!after_join_)
    after_join_ = std::make_unique<std::vector<std::function<void()>>>();
  after_join_->push_back(std::move(f));
}

void channel_socket::monitor(const caf::actor& other) {
  self_->monitor(other);
  ties().monitored.push_back(other);
}

channel_socket::actor_ties& channel_socket::ties() {
  if (!ties_)
    ties_ = std::make_unique<actor_ties>();
  return *ties_;
}

detail::callback_runner channel_socket::callbacks() {
  return detail::callback_runner{this, generation_};
}

namespace detail {

void callback_runner::run(const char* what, void (*fn)(void*), void* f) const {
  if (socket_->generation_ != generation_)
    return; // an answer for an instance that crashed and was replaced
  static_cast<channel_server*>(socket_->self_)->run_callback(what, fn, f);
}

} // namespace detail

} // namespace phx
