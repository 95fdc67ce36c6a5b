#pragma once

#include <string>

namespace phx {

/// Why a channel ends, as its terminate callback sees it.
/// Graceful reasons (normal, shutdown) tell the client `phx_close`; an error
/// tells it `phx_error`, and the stock client rejoins.
class exit_reason {
public:
  enum class kind { normal, shutdown, error };

  static exit_reason normal() { return {kind::normal, ""}; }
  /// `{:shutdown, detail}` in Phoenix; e.g. "left", "closed".
  static exit_reason shutdown(std::string detail = "") { return {kind::shutdown, std::move(detail)}; }
  static exit_reason error(std::string detail) { return {kind::error, std::move(detail)}; }

  /// The client sent phx_leave.
  static exit_reason left() { return shutdown("left"); }
  /// The connection closed or died.
  static exit_reason closed() { return shutdown("closed"); }

  kind what() const noexcept { return what_; }
  const std::string& detail() const noexcept { return detail_; }
  bool graceful() const noexcept { return what_ != kind::error; }

  /// "normal", "shutdown: left", "error: boom".
  std::string to_string() const;

private:
  exit_reason(kind what, std::string detail) : what_(what), detail_(std::move(detail)) {}

  kind what_;
  std::string detail_;
};

} // namespace phx
