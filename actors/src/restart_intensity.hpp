#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace phx::detail {

/// The restart intensity of one supervised channel: at most `max_restarts`
/// restarts within any `window`. Pure logic with the time passed in, so that
/// tests drive it without a clock. Holds nothing until the first restart
/// (a never-crashing channel costs no allocation).
class restart_intensity {
public:
  using clock = std::chrono::steady_clock;

  restart_intensity(std::size_t max_restarts, std::chrono::milliseconds window)
    : max_(max_restarts), window_(window) {}

  /// Asks for a restart at `now`: true (and counted) while fewer than
  /// `max_restarts` restarts happened within the window before `now`; false
  /// means give up.
  bool allow(clock::time_point now) {
    auto expired = std::find_if(recent_.begin(), recent_.end(),
                                [&](clock::time_point t) { return now - t < window_; });
    recent_.erase(recent_.begin(), expired);
    if (recent_.size() >= max_)
      return false;
    recent_.push_back(now);
    ++total_;
    return true;
  }

  /// Restarts allowed so far, over the channel's whole life.
  std::size_t total() const noexcept { return total_; }

private:
  std::size_t max_;
  std::chrono::milliseconds window_;
  std::vector<clock::time_point> recent_; ///< oldest first, at most max_ entries
  std::size_t total_ = 0;
};

} // namespace phx::detail
