#include "phx/actors/socket.hpp"

#include <stdexcept>

namespace phx {

namespace {

const connect_info& no_connect_info() {
  static const connect_info instance;
  return instance;
}

void throw_on_error(const caf::error& err, const char* what) {
  if (err)
    throw std::runtime_error(std::string{what} + " failed: " + caf::to_string(err));
}

} // namespace

const connect_info& socket::info() const noexcept {
  return info_ ? *info_ : no_connect_info();
}

const json& socket::get(const std::string& key) const {
  static const json null_value;
  auto i = assigns_.find(key);
  return i != assigns_.end() ? *i : null_value;
}

void socket::require_channel(const char* what) const {
  if (!self_ || !sink_ || !format_)
    throw std::logic_error(std::string{what} + " is only available inside a channel");
}

void socket::push(const std::string& event, const json& payload) {
  require_channel("push");
  if (!payload.is_object())
    throw std::invalid_argument("push payload must be a JSON object (event \"" + event + "\")");
  auto f = format_->encode(message{join_ref_, nullptr, topic_, event, payload});
  if (joined_)
    sink_->send(std::move(f));
  else
    held_pushes_.push_back(std::move(f)); // the join reply must go first
}

caf::error socket::broadcast(std::string event, json payload) const {
  require_channel("broadcast");
  return pubsub_.broadcast(topic_, std::move(event), std::move(payload));
}

void socket::broadcast_or_throw(std::string event, json payload) const {
  throw_on_error(broadcast(std::move(event), std::move(payload)), "broadcast");
}

caf::error socket::broadcast_from(std::string event, json payload) const {
  require_channel("broadcast_from");
  return pubsub_.broadcast_from(self_->address(), topic_, std::move(event), std::move(payload));
}

void socket::broadcast_from_or_throw(std::string event, json payload) const {
  throw_on_error(broadcast_from(std::move(event), std::move(payload)), "broadcast_from");
}

socket_ref socket::ref() const {
  require_channel("ref");
  if (ref_.is_null())
    throw std::logic_error("socket::ref is only available while handling a client message");
  return socket_ref{sink_, format_, topic_, join_ref_, ref_};
}

caf::event_based_actor* socket::self() const {
  require_channel("self");
  return self_;
}

} // namespace phx
