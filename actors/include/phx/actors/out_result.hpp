#pragma once

#include <optional>

#include "phx/actors/exit_reason.hpp"

namespace phx {

/// What channel::handle_out and channel::handle_info return: go on, or stop.
class out_result {
public:
  static out_result noreply() { return {}; }
  static out_result stop(exit_reason why) {
    out_result r;
    r.stop_ = std::move(why);
    return r;
  }

  const std::optional<exit_reason>& stop_reason() const noexcept { return stop_; }

private:
  out_result() = default;

  std::optional<exit_reason> stop_;
};

} // namespace phx
