#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "phx/protocol/frame_sink.hpp"

namespace phx::test {

/// A frame_sink that records what it is sent, for tests without a network.
class recording_sink : public frame_sink {
public:
  void send(frame f) override {
    std::lock_guard<std::mutex> guard{mtx_};
    frames_.push_back(std::move(f));
    cv_.notify_all();
  }

  void close(close_code code, std::string reason) override {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_.emplace(code, std::move(reason));
    cv_.notify_all();
  }

  /// Frames written so far.
  std::size_t size() {
    std::lock_guard<std::mutex> guard{mtx_};
    return frames_.size();
  }

  /// Waits until at least `n` frames arrived (at most 2 s); returns them all.
  std::vector<frame> wait_for(std::size_t n) {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_for(guard, std::chrono::seconds(2), [&] { return frames_.size() >= n; });
    return frames_;
  }

  /// Waits (at most 2 s) for close; returns its code and reason if it came.
  std::optional<std::pair<close_code, std::string>> wait_for_close() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_for(guard, std::chrono::seconds(2), [&] { return closed_.has_value(); });
    return closed_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<frame> frames_;
  std::optional<std::pair<close_code, std::string>> closed_;
};

} // namespace phx::test
