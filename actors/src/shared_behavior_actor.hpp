#pragma once

#include <cstddef>
#include <utility>

#include <caf/event_based_actor.hpp>

namespace phx::detail {

/// An event-based actor whose behaviour is built once per class and shared by
/// every instance. CAF 0.17 allocates each instance's behaviour (200 to 300
/// bytes, about 700 per joined connection for the engine's three actors:
/// connection, supervisor, channel server); a shared one is a reference.
///
/// Shared handlers cannot capture `this`. They reach their actor through
/// running(), which resume() sets for as long as the actor handles messages
/// on this thread: CAF runs every handler of an event-based actor inside
/// resume().
template <class Derived>
class shared_behavior_actor : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  resume_result resume(caf::execution_unit* ctx, std::size_t max_throughput) override {
    auto* outer = std::exchange(running_, static_cast<Derived*>(this));
    auto result = caf::event_based_actor::resume(ctx, max_throughput);
    running_ = outer;
    return result;
  }

protected:
  /// The instance whose handler runs now.
  static Derived& running() noexcept { return *running_; }

private:
  static inline thread_local Derived* running_ = nullptr;
};

} // namespace phx::detail
