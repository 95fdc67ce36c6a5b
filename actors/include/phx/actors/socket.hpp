#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

#include "phx/actors/connect_info.hpp"
#include "phx/actors/socket_ref.hpp"
#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/json.hpp"
#include "phx/protocol/serializer.hpp"
#include "phx/pubsub/pubsub.hpp"

namespace phx {

namespace detail {
class channel_server;
class connection_actor;
} // namespace detail

/// The user's view of one connection, and inside a channel of one joined
/// topic. Assigns set in socket_handler::connect are
/// copied into every channel; assigns set in a channel stay private to it.
///
/// push, broadcast and ref work only inside a channel; elsewhere they throw
/// std::logic_error.
class socket {
public:
  socket() = default;
  explicit socket(std::shared_ptr<const connect_info> info) : info_(std::move(info)) {}

  // -- identity ---------------------------------------------------------------

  /// The channel's topic ("" outside a channel).
  const std::string& topic() const noexcept { return topic_; }
  /// The join_ref of the join that created this channel instance.
  const json& join_ref() const noexcept { return join_ref_; }
  /// The socket id from socket_handler::id, if any ("users_socket:42").
  const std::optional<std::string>& id() const noexcept { return id_; }
  /// What the transport knew of the client at connect time.
  const connect_info& info() const noexcept;

  // -- assigns ----------------------------------------------------------------

  /// The assigns map (a JSON object).
  const json& assigns() const noexcept { return assigns_; }
  json& assigns() noexcept { return assigns_; }
  /// Sets one assign.
  void assign(const std::string& key, json value) { assigns_[key] = std::move(value); }
  /// One assign, or null when absent.
  const json& get(const std::string& key) const;

  // -- talking to clients (inside a channel) ----------------------------------

  /// Pushes `event` to this client only. The payload must be a JSON object.
  /// A push made inside join is sent right after the join reply.
  void push(const std::string& event, const json& payload);

  /// Broadcasts to every subscriber of this channel's topic, this client
  /// included. Fails (returns an error) if the payload is not an object.
  caf::error broadcast(std::string event, json payload) const;
  /// As broadcast, but throws std::runtime_error on failure (Phoenix's broadcast!).
  void broadcast_or_throw(std::string event, json payload) const;
  /// Broadcasts to every subscriber of the topic but this channel.
  caf::error broadcast_from(std::string event, json payload) const;
  /// As broadcast_from, but throws std::runtime_error on failure.
  void broadcast_from_or_throw(std::string event, json payload) const;

  /// A reference to the client message being handled, for replying later.
  socket_ref ref() const;

  /// The process-wide pubsub (endpoint broadcast, subscribe other actors).
  const phx::pubsub& pubsub() const noexcept { return pubsub_; }

  /// The channel's actor: send to other actors, request, delayed sends.
  caf::event_based_actor* self() const;

  /// Sends `xs...` to this channel; it arrives in handle_info after the
  /// current callback (Phoenix's `send(self(), :after_join)` idiom).
  template <class... Ts>
  void send_self(Ts&&... xs) const {
    auto me = self();
    me->send(caf::actor_cast<caf::actor>(me), std::forward<Ts>(xs)...);
  }

  /// Sends `xs...` to this channel after `delay`; it arrives in handle_info.
  template <class Rep, class Period, class... Ts>
  void send_after(std::chrono::duration<Rep, Period> delay, Ts&&... xs) const {
    auto me = self();
    me->delayed_send(caf::actor_cast<caf::actor>(me), delay, std::forward<Ts>(xs)...);
  }

private:
  friend class detail::channel_server;
  friend class detail::connection_actor;

  void require_channel(const char* what) const;

  // Connection-wide state.
  std::shared_ptr<const connect_info> info_;
  std::optional<std::string> id_;
  json assigns_ = json::object();
  frame_sink_ptr sink_;
  const serializer* format_ = nullptr;
  phx::pubsub pubsub_;
  // Channel state.
  std::string topic_;
  json join_ref_;
  json ref_;                            ///< ref of the message in handle_in
  caf::event_based_actor* self_ = nullptr;
  bool joined_ = false;
  std::vector<frame> held_pushes_;      ///< pushes made inside join
};

} // namespace phx
