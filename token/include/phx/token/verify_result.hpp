#pragma once

#include "phx/protocol/json.hpp"
#include "phx/token/error.hpp"

#include <utility>

namespace phx::token {

/// What `verify` returns: the signed data, or why there is none. Phoenix's
/// `{:ok, data}` / `{:error, reason}`.
class verify_result {
public:
  static verify_result success(json data) {
    return verify_result{std::move(data), token::error::invalid, true};
  }
  static verify_result failure(token::error why) { return verify_result{nullptr, why, false}; }

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }

  /// The signed data; null when `!ok()`.
  const json& data() const& noexcept { return data_; }
  json&& data() && noexcept { return std::move(data_); }

  /// Why the token was refused; meaningful only when `!ok()`.
  token::error error() const noexcept { return error_; }

private:
  verify_result(json data, token::error why, bool ok)
      : data_(std::move(data)), error_(why), ok_(ok) {}

  json data_;
  token::error error_ = token::error::invalid;
  bool ok_ = false;
};

} // namespace phx::token
