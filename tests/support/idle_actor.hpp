#pragma once

#include <caf/event_based_actor.hpp>

namespace phx::test {

/// An actor that only stays alive: a subscriber, a presence's owner. (A
/// class, not a function: CAF 0.17's function-based spawn without arguments
/// dereferences a null pointer, which UBSan reports.)
class idle_actor : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;
  caf::behavior make_behavior() override { return {[](int) {}}; }
};

} // namespace phx::test
