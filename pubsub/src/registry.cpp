#include "phx/pubsub/registry.hpp"

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "phx/pubsub/atoms.hpp"

namespace phx {

namespace {

/// topic -> subscribers, plus the reverse index subscriber -> topics so that
/// a dead subscriber leaves every topic without a search over all topics.
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
      [this](unsubscribe_atom, const std::string& topic, const caf::actor& who) {
        remove(topic, who.address());
      },
      [this](publish_atom, const broadcast_ptr& msg, const caf::actor_addr& from) {
        publish(*msg, msg, from);
      },
      [this](count_atom, const std::string& topic) -> size_t {
        auto i = topics_.find(topic);
        return i == topics_.end() ? 0 : i->second.size();
      },
    };
  }

  void on_exit() override {
    // Subscriptions hold strong handles (and the subscribers hold this
    // registry): drop them so that no cycle outlives the actors.
    topics_.clear();
    topics_of_.clear();
  }

private:
  void add(std::string topic, subscription sub) {
    if (!sub.subscriber)
      return;
    auto addr = sub.subscriber.address();
    auto& topics = topics_of_[addr];
    auto& subs = topics_[topic];
    // The reverse index says whether this is a re-subscription, so a topic
    // with many subscribers is not searched on every join.
    if (std::find(topics.begin(), topics.end(), topic) != topics.end()) {
      for (auto& existing : subs)
        if (existing.subscriber == sub.subscriber)
          existing = std::move(sub);
      return;
    }
    subs.push_back(std::move(sub));
    if (topics.empty())
      monitor(addr);
    topics.push_back(std::move(topic));
  }

  void remove(const std::string& topic, const caf::actor_addr& who) {
    if (!erase_entry(topic, who))
      return;
    auto i = topics_of_.find(who);
    if (i == topics_of_.end())
      return;
    auto& topics = i->second;
    topics.erase(std::find(topics.begin(), topics.end(), topic));
    if (topics.empty()) {
      demonitor(who);
      topics_of_.erase(i);
    }
  }

  void remove_subscriber(const caf::actor_addr& who) {
    auto i = topics_of_.find(who);
    if (i == topics_of_.end())
      return;
    for (auto& topic : i->second)
      erase_entry(topic, who);
    topics_of_.erase(i);
  }

  // Removes one (topic, subscriber) entry; false if there was none.
  bool erase_entry(const std::string& topic, const caf::actor_addr& who) {
    auto i = topics_.find(topic);
    if (i == topics_.end())
      return false;
    auto& subs = i->second;
    auto j = std::find_if(subs.begin(), subs.end(),
                          [&](const subscription& s) { return s.subscriber.address() == who; });
    if (j == subs.end())
      return false;
    *j = std::move(subs.back());
    subs.pop_back();
    if (subs.empty())
      topics_.erase(i);
    return true;
  }

  // Fastlane (PROTOCOL.md 5.9): one encode per serializer, the same frame to
  // every non-intercepting sink; everyone else gets the broadcast itself.
  void publish(const broadcast& msg, const broadcast_ptr& shared,
               const caf::actor_addr& from) {
    auto i = topics_.find(msg.topic);
    if (i == topics_.end())
      return;
    std::array<frame, serializer_count> encoded;
    std::vector<frame_sink_ptr> waiting; // deferred frames: flushed at the end
    // Compared as raw pointers: address() per subscriber would touch a
    // reference count for every delivery of a broadcast_from.
    // (actor_cast of an invalid address dereferences null: check first.)
    auto* excluded = from ? caf::actor_cast<caf::abstract_actor*>(from) : nullptr;
    for (auto& sub : i->second) {
      if (excluded && caf::actor_cast<caf::abstract_actor*>(sub.subscriber) == excluded)
        continue;
      if (!sub.is_fastlane() || sub.intercepts_event(msg.event)) {
        send(sub.subscriber, broadcast_atom::value, shared);
        continue;
      }
      auto& cached = encoded[sub.format->index()];
      if (!cached.bytes)
        cached = sub.format->encode_broadcast(msg.topic, msg.event, msg.payload);
      if (sub.sink->defer(cached))
        waiting.push_back(sub.sink);
    }
    if (waiting.empty())
      return;
    if (flush_)
      return flush_(std::move(waiting));
    for (auto& sink : waiting)
      sink->flush();
  }

  std::unordered_map<std::string, std::vector<subscription>> topics_;
  std::unordered_map<caf::actor_addr, std::vector<std::string>> topics_of_;
  flush_function flush_;
};

} // namespace

caf::actor spawn_registry(caf::actor_system& sys, flush_function flush) {
  return sys.spawn<registry_actor>(std::move(flush));
}

} // namespace phx
