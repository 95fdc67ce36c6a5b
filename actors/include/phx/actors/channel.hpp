#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/message_handler.hpp>

#include "phx/actors/channel_socket.hpp"
#include "phx/actors/exit_reason.hpp"
#include "phx/actors/in_result.hpp"
#include "phx/actors/join_result.hpp"
#include "phx/actors/out_result.hpp"
#include "phx/protocol/json.hpp"
#include "phx/pubsub/subscription.hpp"

namespace phx {

/// What a user writes for one kind of topic: Phoenix's Channel behaviour.
///
/// Each joined topic gets its own instance, hosted by its own actor, so the
/// callbacks of one instance never run concurrently and may keep state in
/// members. An exception thrown from a callback crashes only this channel;
/// its route's restart_policy says what follows (by default, as in Phoenix,
/// the client gets `phx_error` and rejoins). Siblings and the connection go on.
class channel {
public:
  virtual ~channel() = default;

  /// Accepts or refuses the join of `topic` with the client's `params`.
  /// A supervised restart calls it again with the same topic and params.
  virtual join_result join(const std::string& topic, const json& params, channel_socket& s) = 0;

  /// A client event. The default logs it and does not reply.
  virtual in_result handle_in(const std::string& event, const json& payload, channel_socket& s);

  /// A broadcast of an intercepted event, once per subscriber. The default
  /// pushes it unchanged.
  virtual out_result handle_out(const std::string& event, const json& payload, channel_socket& s);

  /// The typed handlers for CAF messages sent to this channel's actor
  /// (Phoenix's handle_info, and handle_call: a handler's return value
  /// answers a request). Called once per instance, when its first such
  /// message arrives (an idle channel holds no handlers); the socket outlives
  /// the handlers, so they may capture it:
  ///
  ///     caf::message_handler make_handlers(phx::channel_socket& s) override {
  ///       return {
  ///         [&s](tick_atom) { s.push("tick", phx::json::object()); },
  ///         [this](get_atom) { return count_; },
  ///       };
  ///     }
  ///
  /// A message no handler matches is dropped (the first one of each channel
  /// is logged); a request gets the error sec::unexpected_message. The
  /// default has no handlers.
  virtual caf::message_handler make_handlers(channel_socket& s);

  /// Called once when the channel ends (leave, stop, closed connection,
  /// shutdown, and after a crash), unless it is killed (duplicate join).
  virtual void terminate(const exit_reason& why, channel_socket& s);

  /// The broadcast events this channel sees in handle_out (null: none).
  /// Shared with the registry's subscription rather than copied into it.
  const intercept_list& intercepts() const noexcept { return intercepts_; }

protected:
  /// Declares the events to intercept; call it in the constructor.
  void intercept(std::vector<std::string> events) {
    intercepts_ = events.empty() ? nullptr
                                 : std::make_shared<const std::vector<std::string>>(std::move(events));
  }

private:
  intercept_list intercepts_;
};

} // namespace phx
