#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace phx {

/// Spawns a registry actor: topic -> subscribers, with fastlane delivery.
///
/// Its messages (use `phx::pubsub` rather than sending them by hand):
/// - `(subscribe_atom, std::string topic, subscription)`: adds or replaces the
///   subscriber's entry for the topic; the subscriber is monitored, so a dead
///   subscriber vanishes from every topic.
/// - `(unsubscribe_atom, std::string topic, caf::actor subscriber)`.
/// - `(publish_atom, broadcast_ptr, caf::actor_addr from)`: delivers to every
///   subscriber of the topic but `from` (an invalid address excludes nobody).
///   Non-intercepted events go to fastlane sinks as one shared encoded frame
///   per serializer; the rest get `(broadcast_atom, broadcast_ptr)`.
/// - `(count_atom, std::string topic) -> size_t`: how many subscribers it has.
caf::actor spawn_registry(caf::actor_system& sys);

} // namespace phx
