#pragma once

#include <memory>

#include <caf/event_based_actor.hpp>

#include "phx/actors/channel.hpp"
#include "phx/actors/socket.hpp"
#include "phx/pubsub/broadcast.hpp"
#include "phx/pubsub/subscription.hpp"

namespace phx::detail {

/// The actor that hosts one channel instance (Phoenix's Channel.Server): it
/// runs the user's callbacks one at a time, writes replies and pushes to the
/// connection's sink, subscribes its topic, and turns exceptions into a crash
/// of this channel alone.
///
/// Protocol: (join_atom, message) first, then (inbound_atom, message),
/// (leave_atom, message), (broadcast_atom, broadcast_ptr) for intercepted
/// events, anything else to handle_info. An exit message from the connection
/// ends it with {shutdown, closed}.
class channel_server : public caf::event_based_actor {
public:
  channel_server(caf::actor_config& cfg, std::unique_ptr<channel> impl, socket sock,
                 caf::actor connection);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  void on_join(const message& join);
  void on_event(message& msg);
  void on_leave(const message& leave);
  void on_broadcast(const phx::broadcast& msg);
  void on_info(const caf::message& msg);

  void reply(const json& ref, const std::string& status, const json& response);
  void on_subscribed();
  // Runs terminate, then stops the actor: normal for graceful reasons (the
  // connection sends phx_close), an error otherwise (phx_error).
  void stop(const exit_reason& why);
  void apply(const std::optional<exit_reason>& stop_reason);
  void run_terminate(const exit_reason& why);
  // Runs f; an exception crashes this channel and returns false.
  template <class F>
  bool guarded(const char* callback, F&& f);
  void crash(const char* callback, const std::string& why);

  std::unique_ptr<channel> impl_;
  socket socket_;
  caf::actor connection_;
  bool join_accepted_ = false; ///< terminate runs from here on
  bool stopped_ = false;
  bool terminated_ = false;
};

} // namespace phx::detail
