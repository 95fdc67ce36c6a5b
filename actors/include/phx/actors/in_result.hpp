#pragma once

#include <optional>
#include <string>

#include "phx/actors/exit_reason.hpp"
#include "phx/protocol/json.hpp"

namespace phx {

/// What channel::handle_in returns: reply, noreply, or stop
/// (with or without a reply sent first).
class in_result {
public:
  static in_result noreply() { return {}; }
  static in_result reply(std::string status, json response = json::object()) {
    in_result r;
    r.status_ = std::move(status);
    r.response_ = std::move(response);
    return r;
  }
  static in_result ok(json response = json::object()) { return reply("ok", std::move(response)); }
  static in_result error(json response) { return reply("error", std::move(response)); }
  static in_result stop(exit_reason why) {
    in_result r;
    r.stop_ = std::move(why);
    return r;
  }
  /// Replies first, then stops.
  static in_result stop(exit_reason why, std::string status, json response = json::object()) {
    auto r = reply(std::move(status), std::move(response));
    r.stop_ = std::move(why);
    return r;
  }

  bool has_reply() const noexcept { return !status_.empty(); }
  const std::string& status() const noexcept { return status_; }
  const json& response() const noexcept { return response_; }
  const std::optional<exit_reason>& stop_reason() const noexcept { return stop_; }

private:
  in_result() = default;

  std::string status_;
  json response_;
  std::optional<exit_reason> stop_;
};

} // namespace phx
