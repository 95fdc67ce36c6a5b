#include "phx/pubsub/registry.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/atoms.hpp"

namespace phx {

namespace {

/// topic -> subscribers, plus the reverse index subscriber -> (topic, slot)
/// so that a subscriber leaves a topic, or dies and leaves every topic, in
/// time proportional to its own topics, never to a topic's subscribers: a
/// mass disconnect from a topic of 20,000 must not be quadratic.
class registry_actor : public caf::event_based_actor {
public:
  registry_actor(caf::actor_config& cfg, flush_function flush)
    : caf::event_based_actor(cfg), flush_(std::move(flush)) {
    set_down_handler([this](caf::down_msg& msg) { remove_subscriber(msg.source); });
  }

  caf::behavior make_behavior() override {
    return {
      [this](subscribe_atom, std::string& topic, subscription& sub) {
        add(std::move(topic), std::move(sub));
      },
      [this](subscribe_atom, std::string& topic, subscription& sub, std::vector<frame>& first) {
        // A joining channel's reply goes to the sink before it is a
        // subscriber: first on the wire, and no broadcast accepted after it
        // is missed. The answer tells the channel it may go on.
        if (sub.sink)
          for (auto& f : first)
            sub.sink->send(std::move(f));
        add(std::move(topic), std::move(sub));
        return true;
      },
      [this](unsubscribe_atom, const std::string& topic, const caf::actor& who) {
        remove(topic, key_of(who));
      },
      [this](publish_atom, const broadcast_ptr& msg, const caf::actor_addr& from) {
        // Peers first: their fan-out runs while this one does.
        if (forwarder_)
          send(forwarder_, forward_atom_v, msg);
        publish(*msg, msg, from);
      },
      [this](publish_atom, const broadcast_ptr& msg, const caf::actor_addr& from, local_atom) {
        publish(*msg, msg, from);
      },
      [this](forward_atom, caf::actor& forwarder) { forwarder_ = std::move(forwarder); },
      [this](count_atom, const std::string& topic) -> size_t {
        auto i = topics_.find(topic);
        return i == topics_.end() ? 0 : i->second.size();
      },
    };
  }

  void on_exit() override {
    // Subscriptions hold strong handles (and the subscribers hold this
    // registry): drop them so that no cycle outlives the actors.
    topics_of_.clear();
    topics_.clear();
    forwarder_ = nullptr;
  }

private:
  // Subscribers are keyed by their raw pointer: the subscription holds a
  // strong handle, so the pointer stays theirs while the entry exists, and no
  // reference count is touched per lookup.
  using key = const caf::abstract_actor*;

  /// One topic of a subscriber: the topic's key in topics_ (node-based, so
  /// the pointer is stable) and the subscriber's slot in its vector.
  struct membership {
    const std::string* topic;
    std::size_t slot;
  };

  static key key_of(const caf::actor& who) {
    // (actor_cast of an invalid handle dereferences null: check first.)
    return who ? caf::actor_cast<caf::abstract_actor*>(who) : nullptr;
  }

  void add(std::string topic, subscription sub) {
    if (!sub.subscriber)
      return;
    auto who = key_of(sub.subscriber);
    auto& topics = topics_of_[who];
    auto [entry, fresh_topic] = topics_.try_emplace(std::move(topic));
    auto& subs = entry->second;
    if (!fresh_topic)
      if (auto* m = find_membership(topics, entry->first)) { // a re-subscription
        subs[m->slot] = std::move(sub);
        return;
      }
    if (topics.empty())
      monitor(sub.subscriber);
    topics.push_back(membership{&entry->first, subs.size()});
    subs.push_back(std::move(sub));
  }

  void remove(const std::string& topic, key who) {
    auto i = topics_of_.find(who);
    if (i == topics_of_.end())
      return;
    auto& topics = i->second;
    auto m = std::find_if(topics.begin(), topics.end(),
                          [&](const membership& x) { return *x.topic == topic; });
    if (m == topics.end())
      return;
    auto subscriber = leave(*m);
    *m = topics.back();
    topics.pop_back();
    if (topics.empty()) {
      demonitor(subscriber.address());
      topics_of_.erase(i);
    }
  }

  void remove_subscriber(const caf::actor_addr& source) {
    if (!source)
      return;
    auto i = topics_of_.find(caf::actor_cast<caf::abstract_actor*>(source));
    if (i == topics_of_.end())
      return;
    auto topics = std::move(i->second);
    topics_of_.erase(i);
    for (auto& m : topics)
      leave(m);
  }

  // Takes the subscriber out of the slot `m` names (and returns it): the
  // topic's last subscriber moves into that slot, its membership following.
  caf::actor leave(const membership& m) {
    auto entry = topics_.find(*m.topic);
    auto& subs = entry->second;
    auto subscriber = std::move(subs[m.slot].subscriber);
    if (m.slot + 1 != subs.size()) {
      auto& moved = subs.back();
      auto j = topics_of_.find(key_of(moved.subscriber));
      if (auto* moved_m = j == topics_of_.end() ? nullptr : find_membership(j->second, entry->first))
        moved_m->slot = m.slot;
      subs[m.slot] = std::move(moved);
    }
    subs.pop_back();
    if (subs.empty())
      topics_.erase(entry);
    return subscriber;
  }

  static membership* find_membership(std::vector<membership>& topics, const std::string& topic) {
    for (auto& m : topics)
      if (m.topic == &topic)
        return &m;
    return nullptr;
  }

  // Fastlane: one encode per serializer, the same frame to
  // every non-intercepting sink; everyone else gets the broadcast itself.
  void publish(const broadcast& msg, const broadcast_ptr& shared,
               const caf::actor_addr& from) {
    auto& counts = metrics::node();
    counts.broadcasts.add(); // published here, whether or not anyone here subscribed
    auto i = topics_.find(msg.topic);
    if (i == topics_.end())
      return;
    std::array<frame, serializer_count> encoded;
    std::array<bool, serializer_count> unencodable{};
    std::vector<frame_sink_ptr> waiting; // deferred frames: flushed at the end
    // Compared as raw pointers: address() per subscriber would touch a
    // reference count for every delivery of a broadcast_from.
    // (actor_cast of an invalid address dereferences null: check first.)
    auto* excluded = from ? caf::actor_cast<caf::abstract_actor*>(from) : nullptr;
    // Counted here, added once: one relaxed add per broadcast, not per subscriber.
    std::int64_t to_channels = 0;
    std::int64_t to_sinks = 0;
    for (auto& sub : i->second) {
      if (excluded && caf::actor_cast<caf::abstract_actor*>(sub.subscriber) == excluded)
        continue;
      if (!sub.is_fastlane() || sub.intercepts_event(msg.event)) {
        send(sub.subscriber, broadcast_atom_v, shared);
        ++to_channels;
        continue;
      }
      auto index = sub.format->index();
      auto& cached = encoded[index];
      if (!cached.bytes && !unencodable[index] && !encode(sub.format, msg, cached))
        unencodable[index] = true;
      if (unencodable[index])
        continue; // bytes for a V1 or long-poll client: skipped, logged below
      ++to_sinks;
      if (sub.sink->defer(cached))
        waiting.push_back(sub.sink);
    }
    counts.deliveries_channel.add(to_channels);
    counts.deliveries_fastlane.add(to_sinks);
    log_skipped(msg, unencodable);
    if (waiting.empty())
      return;
    if (flush_)
      return flush_(std::move(waiting));
    for (auto& sink : waiting)
      sink->flush();
  }

  // Encodes `msg` for one serializer; false when that version or transport
  // cannot carry it: raw bytes for V1 and long-poll clients, which are
  // skipped rather than crash the broadcaster as in Phoenix.
  static bool encode(const serializer* format, const broadcast& msg, frame& out) {
    try {
      out = format->encode_broadcast(msg.topic, msg.event, msg.payload);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  // One log line per broadcast that skipped subscribers, naming their kinds.
  static void log_skipped(const broadcast& msg,
                          const std::array<bool, serializer_count>& unencodable) {
    std::string kinds;
    for (const auto* format : {&v1_json_serializer(), &v2_json_serializer(),
                               &v2_json_text_serializer()})
      if (unencodable[format->index()])
        kinds += (kinds.empty() ? "" : ", ") + std::string{format->name()};
    if (!kinds.empty())
      log(log_level::warning, "broadcast ", msg.event, " on ", msg.topic, ": skipping ", kinds,
          " subscribers: ",
          msg.payload.is_binary() ? "they cannot carry binary payloads" : "encoding failed");
  }

  std::unordered_map<std::string, std::vector<subscription>> topics_;
  std::unordered_map<key, std::vector<membership>> topics_of_;
  flush_function flush_;
  caf::actor forwarder_; // a cluster's node bridge, or none
};

} // namespace

caf::actor spawn_registry(caf::actor_system& sys, flush_function flush) {
  return sys.spawn<registry_actor>(std::move(flush));
}

} // namespace phx
