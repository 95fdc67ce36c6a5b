#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "phx/protocol/frame_sink.hpp"

namespace phx {

/// Spawns a registry actor: topic -> subscribers, with fastlane delivery.
///
/// Its messages (use `phx::pubsub` rather than sending them by hand):
/// - `(subscribe_atom, std::string topic, subscription)`: adds or replaces the
///   subscriber's entry for the topic; the subscriber is monitored, so a dead
///   subscriber vanishes from every topic.
/// - `(subscribe_atom, std::string topic, subscription, std::vector<frame> first)
///   -> bool`: writes `first` to the subscription's sink, then subscribes, then
///   answers; how a channel's join reply precedes every broadcast it gets.
/// - `(unsubscribe_atom, std::string topic, caf::actor subscriber)`.
/// - `(publish_atom, broadcast_ptr, caf::actor_addr from)`: delivers to every
///   subscriber of the topic but `from` (an invalid address excludes nobody).
///   Non-intercepted events go to fastlane sinks as one shared encoded frame
///   per serializer; the rest get `(broadcast_atom, broadcast_ptr)`. With a
///   forwarder attached, it gets `(forward_atom, broadcast_ptr)` first.
/// - `(publish_atom, broadcast_ptr, caf::actor_addr from, local_atom)`: the
///   same, for this node's subscribers only (a peer node's broadcast, or a
///   local_broadcast).
/// - `(forward_atom, caf::actor forwarder)`: attaches the forwarder (a
///   cluster's node bridge); an invalid handle detaches it.
/// - `(count_atom, std::string topic) -> size_t`: how many subscribers it has.
///
/// A broadcast queues its frame on every fastlane sink first (frame_sink::defer)
/// and then hands the sinks to `flush` (default: flushes them in turn), so the
/// registry never waits on a socket and frames of back-to-back broadcasts
/// leave in one write per connection.
caf::actor spawn_registry(caf::actor_system& sys, flush_function flush = {});

} // namespace phx
