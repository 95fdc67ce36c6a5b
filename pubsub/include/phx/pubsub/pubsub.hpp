#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>

#include "phx/protocol/json.hpp"
#include "phx/pubsub/subscription.hpp"

namespace phx {

/// A cheap, copyable handle on the registry, usable from any thread (an
/// HTTP handler, a timer, an actor). Sends are asynchronous: a broadcast is
/// queued to the registry and fanned out there (and, in a cluster, on
/// every other node).
class pubsub {
public:
  pubsub() = default;
  explicit pubsub(caf::actor registry) : registry_(std::move(registry)) {}

  /// Subscribes `sub.subscriber` to `topic` (see subscription for the two kinds).
  void subscribe(std::string topic, subscription sub) const;

  /// Removes `subscriber`'s entry for `topic`.
  void unsubscribe(std::string topic, const caf::actor& subscriber) const;

  /// Sends `event` with `payload` to every subscriber of `topic`.
  /// Fails (nothing is sent) when the payload is neither a JSON object (as
  /// Phoenix requires of pushed and broadcast payloads) nor raw bytes
  /// (`json::binary`), or without a registry.
  caf::error broadcast(std::string topic, std::string event, json payload) const;

  /// As broadcast, but not to the subscriber `from` (its client does not get it).
  caf::error broadcast_from(const caf::actor_addr& from, std::string topic,
                            std::string event, json payload) const;

  /// As broadcast, but to this node's subscribers only: in a cluster, the
  /// other nodes do not get it.
  caf::error local_broadcast(std::string topic, std::string event, json payload) const;

  /// The registry actor.
  const caf::actor& registry() const noexcept { return registry_; }

  explicit operator bool() const noexcept { return static_cast<bool>(registry_); }

private:
  caf::error publish(const caf::actor_addr& from, std::string topic, std::string event,
                     json payload, bool local_only) const;

  caf::actor registry_;
};

} // namespace phx
