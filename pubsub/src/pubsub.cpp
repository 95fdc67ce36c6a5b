#include "phx/pubsub/pubsub.hpp"

#include <caf/send.hpp>
#include <caf/sec.hpp>

#include "phx/pubsub/atoms.hpp"

namespace phx {

void pubsub::subscribe(std::string topic, subscription sub) const {
  caf::anon_send(registry_, subscribe_atom_v, std::move(topic), std::move(sub));
}

void pubsub::unsubscribe(std::string topic, const caf::actor& subscriber) const {
  caf::anon_send(registry_, unsubscribe_atom_v, std::move(topic), subscriber);
}

caf::error pubsub::broadcast(std::string topic, std::string event, json payload) const {
  return broadcast_from(caf::actor_addr{}, std::move(topic), std::move(event),
                        std::move(payload));
}

caf::error pubsub::broadcast_from(const caf::actor_addr& from, std::string topic,
                                  std::string event, json payload) const {
  return publish(from, std::move(topic), std::move(event), std::move(payload), false);
}

caf::error pubsub::local_broadcast(std::string topic, std::string event, json payload) const {
  return publish(caf::actor_addr{}, std::move(topic), std::move(event), std::move(payload), true);
}

caf::error pubsub::publish(const caf::actor_addr& from, std::string topic, std::string event,
                           json payload, bool local_only) const {
  if (!registry_)
    return caf::make_error(caf::sec::invalid_argument, "pubsub has no registry");
  if (!payload.is_object() && !payload.is_binary())
    return caf::make_error(caf::sec::invalid_argument,
                           "broadcast payload must be a JSON object or bytes");
  auto msg = std::make_shared<const phx::broadcast>(
    phx::broadcast{std::move(topic), std::move(event), std::move(payload)});
  if (local_only)
    caf::anon_send(registry_, publish_atom_v, std::move(msg), from, local_atom_v);
  else
    caf::anon_send(registry_, publish_atom_v, std::move(msg), from);
  return caf::none;
}

} // namespace phx
