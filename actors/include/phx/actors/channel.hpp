#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/message.hpp>

#include "phx/actors/exit_reason.hpp"
#include "phx/actors/in_result.hpp"
#include "phx/actors/join_result.hpp"
#include "phx/actors/out_result.hpp"
#include "phx/actors/socket.hpp"
#include "phx/protocol/json.hpp"
#include "phx/pubsub/subscription.hpp"

namespace phx {

/// What a user writes for one kind of topic: Phoenix's Channel behaviour.
///
/// Each joined topic gets its own instance, hosted by its own actor, so the
/// callbacks of one instance never run concurrently and may keep state in
/// members. An exception thrown from a callback crashes only this channel:
/// its client gets `phx_error` and rejoins; siblings and the connection go on.
class channel {
public:
  virtual ~channel() = default;

  /// Accepts or refuses the join of `topic` with the client's `params`.
  virtual join_result join(const std::string& topic, const json& params, socket& s) = 0;

  /// A client event. The default logs it and does not reply.
  virtual in_result handle_in(const std::string& event, const json& payload, socket& s);

  /// A broadcast of an intercepted event, once per subscriber. The default
  /// pushes it unchanged.
  virtual out_result handle_out(const std::string& event, const json& payload, socket& s);

  /// Any other CAF message sent to this channel's actor (timers from
  /// socket::send_after, application actors). The default logs it.
  virtual out_result handle_info(const caf::message& msg, socket& s);

  /// Called once when the channel ends, unless it is killed (duplicate join).
  virtual void terminate(const exit_reason& why, socket& s);

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
