#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/timespan.hpp>

#include "phx/actors/exit_reason.hpp"
#include "phx/actors/pending_request.hpp"
#include "phx/actors/socket.hpp"
#include "phx/actors/socket_ref.hpp"
#include "phx/protocol/encoded_json.hpp"
#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/json.hpp"
#include "phx/protocol/serializer.hpp"
#include "phx/pubsub/pubsub.hpp"

namespace phx {

/// One joined topic as its channel sees it: the connection's socket (info,
/// id, a private copy of the assigns) plus what a joined channel can do:
/// push to its client, broadcast, reply later, and talk to other actors.
///
/// The channel's actor belongs to the engine; this facade is the only way
/// to use it, so no callback can replace the behaviour that routes client
/// events, supervision and shutdown. Everything here runs on the channel's
/// actor: call it from the channel's callbacks and handlers only (hand a
/// socket_ref or the actor handle to other threads and actors).
class channel_socket : public socket {
public:
  // -- identity ---------------------------------------------------------------

  /// The channel's topic.
  const std::string& topic() const noexcept { return topic_; }
  /// The join_ref of the join that created this channel (restarts keep it).
  const json& join_ref() const noexcept { return join_ref_; }
  /// How often the supervisor restarted this channel so far (0 at first).
  std::uint32_t restarts() const noexcept { return restarts_; }
  /// This channel's actor: give it to other actors so they can send to it
  /// or request from it (answered by the handlers of channel::make_handlers).
  caf::actor actor() const { return caf::actor_cast<caf::actor>(self_); }

  // -- talking to the client --------------------------------------------------

  /// Pushes `event` to this client only. The payload must be a JSON object,
  /// or raw bytes (`phx::json::binary(...)`), which a V2 WebSocket client
  /// gets as a binary frame; V1 cannot carry bytes (the push throws).
  /// A push made inside join is sent right after the join reply.
  void push(const std::string& event, const json& payload);

  /// Pushes `event` with a payload already encoded as JSON text (an object):
  /// its bytes are copied into the frame, never encoded again, so a payload
  /// pushed to many clients is encoded once.
  /// (A name of its own: `push(event, {})` stays unambiguous.)
  void push_encoded(const std::string& event, const encoded_json& payload);

  /// Broadcasts to every subscriber of this channel's topic, this client
  /// included. Fails (returns an error) if the payload is neither an object
  /// nor bytes; bytes reach V2 WebSocket subscribers as binary frames, and
  /// subscribers that cannot take them (V1) are skipped with a log line.
  caf::error broadcast(std::string event, json payload) const;
  /// As broadcast, but throws std::runtime_error on failure (Phoenix's broadcast!).
  void broadcast_or_throw(std::string event, json payload) const;
  /// Broadcasts to every subscriber of the topic but this channel.
  caf::error broadcast_from(std::string event, json payload) const;
  /// As broadcast_from, but throws std::runtime_error on failure.
  void broadcast_from_or_throw(std::string event, json payload) const;

  /// A reference to the client message being handled (inside handle_in),
  /// for replying later from anywhere.
  socket_ref ref() const;

  /// The process-wide pubsub (endpoint broadcast, subscribe other actors).
  const phx::pubsub& pubsub() const noexcept { return pubsub_; }

  /// Ends this channel once the current callback returns (Phoenix's
  /// `{:stop, reason, socket}` from handle_info). A graceful reason tells
  /// the client phx_close, an error phx_error; the restart policy applies.
  void stop(exit_reason why) { stop_ = std::make_unique<exit_reason>(std::move(why)); }

  // -- talking to actors ------------------------------------------------------

  /// Sends `xs...` to `dest`.
  template <class... Ts>
  void send(const caf::actor& dest, Ts&&... xs) const {
    self_->send(dest, std::forward<Ts>(xs)...);
  }

  /// Sends `xs...` to this channel; it reaches make_handlers' handlers after
  /// the current callback (Phoenix's `send(self(), :after_join)`). Sent from
  /// join, it arrives once the join reply is out and the topic subscribed.
  template <class... Ts>
  void send_self(Ts&&... xs) const {
    self_->send(actor(), std::forward<Ts>(xs)...);
  }

  /// Runs `f` on this channel once its join reply is out and its topic
  /// subscribed (at once if it is already): where the first pushes and
  /// requests of a join belong, so that nothing broadcast from then on is
  /// missed (Phoenix's `send(self(), :after_join)`, without a handler). An
  /// exception from `f` crashes the channel, as from any callback.
  void after_join(std::function<void()> f);

  /// Sends `xs...` to this channel after `delay`.
  template <class Rep, class Period, class... Ts>
  void send_after(std::chrono::duration<Rep, Period> delay, Ts&&... xs) const {
    self_->delayed_send(actor(), delay, std::forward<Ts>(xs)...);
  }

  /// Sends a request to `dest`; the answer (or an error, e.g. a timeout)
  /// reaches the callbacks given to `.then(...)` on this channel's actor:
  ///
  ///     s.request(counter, 5s, next_atom_v).then(
  ///       [ref = s.ref()](std::int64_t n) { ref.reply("ok", {{"value", n}}); },
  ///       [](caf::error& err) { ... });
  ///
  /// Callbacks run like every other callback: an exception crashes the
  /// channel (and its policy applies); after a restart, answers to requests
  /// of the crashed instance are dropped.
  template <class... Ts>
  auto request(const caf::actor& dest, caf::timespan timeout, Ts&&... xs) {
    auto handle = self_->request(dest, timeout, std::forward<Ts>(xs)...);
    return pending_request<decltype(handle)>{std::move(handle), callbacks()};
  }

  /// Spawns `fun(xs...)` as a function-based actor linked to this channel:
  /// if it fails, the channel crashes (and its policy applies); if the
  /// channel ends or restarts, the worker is stopped.
  template <class F, class... Ts>
  caf::actor spawn_linked(F fun, Ts&&... xs) {
    auto worker = self_->spawn<caf::linked>(std::move(fun), std::forward<Ts>(xs)...);
    ties().workers.push_back(worker);
    return worker;
  }

  /// Monitors `other`: its end arrives as a caf::down_msg in make_handlers'
  /// handlers. A restart drops the crashed instance's monitors.
  void monitor(const caf::actor& other);

private:
  friend class detail::callback_runner;
  friend class detail::channel_server;

  // Runs a callback of this instance on the channel's actor, guarded like
  // the channel's own callbacks; a stale `generation` (the instance
  // crashed and was replaced since) drops it.
  detail::callback_runner callbacks();

  // Actors this instance linked or monitored: a restart unties them.
  struct actor_ties {
    std::vector<caf::actor> workers;
    std::vector<caf::actor> monitored;
  };
  actor_ties& ties();

  // Sends a push, or holds it until the join reply is out.
  void send_push(frame f);

  // Connection-wide.
  frame_sink_ptr sink_;
  const serializer* format_ = nullptr;
  phx::pubsub pubsub_;
  // This channel.
  std::string topic_;
  json join_ref_;
  json ref_;                       ///< ref of the message in handle_in
  caf::event_based_actor* self_ = nullptr; ///< a detail::channel_server
  std::uint32_t restarts_ = 0;
  std::uint32_t generation_ = 0;           ///< bumped by each in-place restart
  bool joined_ = false;
  std::vector<frame> held_pushes_;         ///< pushes made inside join
  // Rarely used, so allocated on first use: an idle channel stays small.
  std::unique_ptr<exit_reason> stop_;      ///< requested by stop()
  std::unique_ptr<actor_ties> ties_;
  std::unique_ptr<std::vector<std::function<void()>>> after_join_; ///< until subscribed
};

} // namespace phx
