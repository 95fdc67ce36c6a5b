#pragma once

#include "phx/protocol/json.hpp"

namespace phx {

/// What channel::join returns: accepted (with an optional reply) or refused
/// with a reply such as `{"reason": "unauthorized"}`.
class join_result {
public:
  static join_result ok(json response = json::object()) { return {true, std::move(response)}; }
  static join_result error(json response) { return {false, std::move(response)}; }

  bool accepted() const noexcept { return accepted_; }
  const json& response() const noexcept { return response_; }

private:
  join_result(bool accepted, json response)
    : accepted_(accepted), response_(std::move(response)) {}

  bool accepted_;
  json response_;
};

} // namespace phx
