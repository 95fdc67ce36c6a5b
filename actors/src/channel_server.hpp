#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include "child_spec.hpp"
#include "phx/actors/channel.hpp"
#include "phx/actors/channel_socket.hpp"
#include "phx/actors/restart_policy.hpp"
#include "phx/pubsub/broadcast.hpp"
#include "shared_behavior_actor.hpp"

namespace phx::detail {

/// The actor that hosts one channel (Phoenix's Channel.Server): it runs the
/// user's callbacks one at a time, writes replies and pushes to the
/// connection's sink, subscribes its topic, and turns exceptions into a
/// crash of this channel alone.
///
/// A channel of a restartable route asks its supervisor, when it crashes or
/// stops, whether to go on; if so it restarts *in place*: a fresh instance
/// of the user's channel joins again on the same actor, so the registry
/// subscription never changes and every message already in the mailbox
/// (client events, broadcasts, requests) reaches the new instance. Only a
/// death the actor cannot see coming (killed from outside) needs the
/// supervisor to spawn a fresh server.
///
/// Protocol: (join_atom) first, then (inbound_atom, message), (leave_atom,
/// message), (broadcast_atom, broadcast_ptr) for intercepted events; the
/// rest goes to the user's handlers. An exit message from the supervisor
/// ends it with {shutdown, closed}; one from a linked worker that failed
/// crashes it.
class channel_server : public shared_behavior_actor<channel_server> {
public:
  /// `restarts` > 0: a fresh server replacing one that died; it joins
  /// without telling the client.
  channel_server(caf::actor_config& cfg, child_spec_ptr spec, std::uint64_t id,
                 std::uint32_t restarts, caf::actor supervisor, caf::actor connection);

  caf::behavior make_behavior() override;

  void on_exit() override;

  /// Runs a callback of the user's channel (request handlers, ...) as the
  /// engine runs its own: an exception crashes the channel.
  void run_callback(const char* what, void (*fn)(void*), void* f);

private:
  enum class start { first, fresh_restart, in_place_restart };

  /// The connection's number in log lines.
  std::uint64_t conn_id() const noexcept { return socket_.info().connection_id; }

  void reset_socket(std::uint32_t restarts);
  void run_join(start mode);
  void join_failed(start mode, const char* status, const json& response,
                   const std::string& why);
  void subscribe(std::vector<frame> first);
  void on_subscribed();

  void on_event(message& msg);
  void on_leave(const message& leave);
  void on_broadcast(const broadcast_ptr& msg);
  caf::result<caf::message> on_info(caf::message& msg);
  void on_exit_msg(const caf::exit_msg& msg);

  void reply(const json& ref, const std::string& status, const json& response);
  // Runs f and catches: the exception's message, or nullopt.
  template <class F>
  std::optional<std::string> attempt(F&& f);
  // After a callback: a stop requested through the socket or a result.
  void apply(const std::optional<exit_reason>& stop_reason);
  void crash(const char* callback, const std::string& why);
  // Runs terminate, then ends this instance as its policy says.
  void stop(const exit_reason& why, restart_policy::end how);
  void run_terminate(const exit_reason& why);
  void end_instance(const exit_reason& why, restart_policy::end how);
  void restart_in_place(std::uint32_t restarts);
  void finish(const exit_reason& why);
  void untie();

  child_spec_ptr spec_; ///< kept by restartable channels only, once joined
  std::unique_ptr<channel> impl_;
  channel_socket socket_;
  caf::message_handler handlers_;
  caf::actor supervisor_;
  caf::actor connection_;
  std::uint64_t id_;
  bool join_accepted_ = false; ///< terminate runs from here on
  bool stopped_ = false;
  bool terminated_ = false;
  bool unexpected_logged_ = false;
  bool handlers_made_ = false;
};

} // namespace phx::detail
