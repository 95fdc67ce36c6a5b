#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "phx/actors/channel.hpp"
#include "phx/actors/restart_policy.hpp"
#include "phx/actors/topic_pattern.hpp"
#include "phx/actors/transport_set.hpp"
#include "phx/protocol/json.hpp"

namespace phx {

/// Creates a fresh channel instance for one join.
using channel_factory = std::function<std::unique_ptr<channel>()>;

/// One route: a topic pattern, its channel type, assigns merged into the
/// socket's assigns for channels of this route, how the connection's
/// supervisor restarts them, and the transports it accepts joins over.
struct route {
  topic_pattern pattern;
  channel_factory make;
  json assigns;
  restart_policy policy;
  transport_set via;
};

/// The channel routes of a socket handler, tried in declaration order: the
/// first match wins, as in Phoenix.
class router {
public:
  /// Routes topics matching `pattern` to new instances of `Channel`,
  /// supervised by `policy` (default: temporary, as in Phoenix):
  ///
  ///     r.channel<room_channel>("room:*");
  ///     r.channel<game_channel>("game:*", phx::restart::transient(3, 5s));
  template <class Channel>
  router& channel(std::string pattern, restart_policy policy = {},
                  json assigns = json::object()) {
    return add(std::move(pattern), [] { return std::make_unique<Channel>(); }, policy,
               std::move(assigns));
  }

  /// As above, temporary, with route assigns.
  template <class Channel>
  router& channel(std::string pattern, json assigns) {
    return channel<Channel>(std::move(pattern), restart_policy{}, std::move(assigns));
  }

  /// Routes topics matching `pattern` to channels made by `make` (a channel
  /// that needs constructor arguments, such as actor handles).
  router& add(std::string pattern, channel_factory make, restart_policy policy = {},
              json assigns = json::object());

  /// Narrows the route declared last to joins over `transports` (Phoenix's
  /// `via:`); a join over another transport is answered as an unmatched
  /// topic, unless a later route takes it:
  ///
  ///     r.channel<upload_channel>("upload:*").via({phx::transport::websocket});
  router& via(transport_set transports);

  /// The first route matching `topic`, or nullptr.
  const route* match(std::string_view topic) const noexcept;

  /// The first route matching `topic` that accepts joins over `over`, or nullptr.
  const route* match(std::string_view topic, transport over) const noexcept;

  const std::vector<route>& routes() const noexcept { return routes_; }

private:
  std::vector<route> routes_;
};

} // namespace phx
