#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "phx/actors/channel_socket.hpp"
#include "phx/presence/atoms.hpp"
#include "phx/presence/presence_config.hpp"
#include "phx/protocol/json.hpp"
#include "phx/pubsub/pubsub.hpp"

namespace phx {

/// Who is online, per topic: Phoenix.Presence. A cheap, copyable handle on
/// this node's tracker; give it to the channels that track (for example
/// through their socket handler, from endpoint::presence()).
///
/// A presence is a key (a user id, say) tracked on a topic by one channel,
/// with a meta (a JSON object, say the device). A key tracked by several
/// channels (several tabs) has several metas; every meta gets a unique
/// opaque `phx_ref`. Each change is broadcast on the topic, to this node's
/// subscribers, as Phoenix's `presence_diff` event
/// (`{"joins": {key: {"metas": [...]}}, "leaves": {...}}`), through the
/// fastlane; changes that come quickly after one another (one per joining
/// client of a busy topic) leave in one diff. The stock phoenix.js Presence
/// class follows the diffs once the channel pushed it the whole state as
/// `presence_state` after its join: track_and_push_state does both, in the
/// order Phoenix apps do it (track, then push the list), and keeps the
/// client's own join out of the diffs until its state is out, so that the
/// state is the first thing after the join reply that tells it about itself.
///
/// A channel's presences leave when it ends, for any reason. A supervised
/// restart that tracks the same keys again (in its join) keeps them: the
/// client sees no leave, and a changed meta as an update.
///
/// In a cluster each node's tracker owns the presences of its channels and
/// sends its changes to the others every `broadcast_every`; every node lists
/// everyone's (see presence_config for how nodes that go away are treated).
///
/// The tracker's messages, for actors that are not channels:
/// - `(track_atom, caf::actor owner, std::string topic, std::string key,
///   json meta, std::uint32_t generation) -> std::string phx_ref`: fails
///   with sec::invalid_argument if `owner` already tracks `key` on `topic`
///   with this generation (a higher one replaces it: a restarted channel).
///   The owner is monitored: its presences leave when it ends.
/// - `(update_atom, caf::actor owner, topic, key, json meta) -> std::string`:
///   a new meta and `phx_ref`, the old ref as `phx_ref_prev`; fails with
///   sec::invalid_argument if not tracked.
/// - `(track_atom, owner, topic, key, meta, generation, list_atom) ->
///   presence_state_ptr`: as track, answering the topic's presences as a
///   joiner's state (shared by the joiners until the topic's next diff, so
///   it may lack the newest changes, which that diff brings); the others hear of this one only once the owner sends
///   `(detail::announce_atom, owner)` (after it pushed the list).
/// - `(untrack_atom, caf::actor owner, topic, key)`, and
///   `(untrack_atom, caf::actor owner)` for all of them.
/// - `(list_atom, topic) -> json` and `(get_by_key_atom, topic, key) -> json`
///   (`{"metas": [...]}`, or null when the key is not present).
class presence {
public:
  presence() = default;
  explicit presence(caf::actor tracker) : tracker_(std::move(tracker)) {}

  /// How long the channel-side requests below wait for the tracker.
  static constexpr std::chrono::seconds timeout{5};

  /// Tracks `key` with `meta` (a JSON object) on the channel's topic, owned
  /// by this channel. Answers the meta's `phx_ref`, or an error when this
  /// channel already tracks the key:
  ///
  ///     presence.track(s, user, {{"device", "phone"}})
  ///       .then([](const std::string& ref) { ... }, [](caf::error& err) { ... });
  auto track(channel_socket& s, std::string key, json meta) const {
    return s.request(tracker_, timeout, track_atom_v, s.actor(), s.topic(), std::move(key),
                     std::move(meta), s.restarts());
  }

  /// Replaces the meta of `key`, tracked by this channel: the client sees
  /// one changed meta (a join of the new and a leave of the old, in one diff).
  auto update(channel_socket& s, std::string key, json meta) const {
    return s.request(tracker_, timeout, update_atom_v, s.actor(), s.topic(), std::move(key),
                     std::move(meta));
  }

  /// Stops tracking `key` for this channel (a leave for the others).
  void untrack(channel_socket& s, std::string key) const {
    s.send(tracker_, untrack_atom_v, s.actor(), s.topic(), std::move(key));
  }

  /// The presences of the channel's topic, `{key: {"metas": [...]}}`.
  auto list(channel_socket& s) const {
    return s.request(tracker_, timeout, list_atom_v, s.topic());
  }

  /// The presence of `key` on the channel's topic, `{"metas": [...]}`, or
  /// null when the key is not there.
  auto get_by_key(channel_socket& s, std::string key) const {
    return s.request(tracker_, timeout, get_by_key_atom_v, s.topic(), std::move(key));
  }

  /// Pushes `presence_state` (the topic's list) to this channel's client,
  /// as the stock Presence class needs after every join and rejoin. Called
  /// from join, it asks once the topic is subscribed (see
  /// channel_socket::after_join), so no change is missed in between.
  void push_state(channel_socket& s) const;

  /// What a channel does on join (call it from join): once the topic is
  /// subscribed, tracks `key` with `meta`, then pushes `presence_state`
  /// to its client; the diff
  /// that tells the topic about this presence follows that push. A failure
  /// to track (already tracked, a meta that is not an object) crashes the
  /// channel, as a failed match on `{:ok, _} = track(...)` does in Elixir.
  void track_and_push_state(channel_socket& s, std::string key, json meta) const;

  /// The tracker actor.
  const caf::actor& tracker() const noexcept { return tracker_; }

  explicit operator bool() const noexcept { return static_cast<bool>(tracker_); }

private:
  caf::actor tracker_;
};

/// Spawns a node's tracker. It sends its changes to the other nodes, and
/// hears theirs, through `bus` (a cluster-wide pubsub) on the reserved topic
/// "phx:presence"; the endpoint does this (endpoint::presence()).
caf::actor spawn_presence_tracker(caf::actor_system& sys, phx::pubsub bus,
                                  presence_config config = {});

} // namespace phx
