#include "phx/actors/router.hpp"

#include <stdexcept>

namespace phx {

router& router::add(std::string pattern, channel_factory make, restart_policy policy,
                    json assigns) {
  if (!make)
    throw std::invalid_argument("channel route \"" + pattern + "\": no channel factory");
  if (!assigns.is_object())
    throw std::invalid_argument("channel route \"" + pattern + "\": assigns must be an object");
  if (policy.window.count() <= 0)
    throw std::invalid_argument("channel route \"" + pattern + "\": restart window must be positive");
  routes_.push_back(
    route{topic_pattern{std::move(pattern)}, std::move(make), std::move(assigns), policy, {}});
  return *this;
}

router& router::via(transport_set transports) {
  if (routes_.empty())
    throw std::logic_error("router::via: declare a channel route first");
  routes_.back().via = transports;
  return *this;
}

const route* router::match(std::string_view topic, transport over) const noexcept {
  for (auto& r : routes_)
    if (r.via.contains(over) && r.pattern.matches(topic))
      return &r;
  return nullptr;
}

const route* router::match(std::string_view topic) const noexcept {
  for (auto& r : routes_)
    if (r.pattern.matches(topic))
      return &r;
  return nullptr;
}

} // namespace phx
