#pragma once

#include <string>
#include <string_view>

namespace phx {

/// A channel route's topic: an exact topic ("lobby") or a prefix ending in
/// '*' ("room:*"; '*' only last). "foo*" matches "food:1" too.
class topic_pattern {
public:
  /// Throws std::invalid_argument for an empty pattern or a '*' not last.
  explicit topic_pattern(std::string pattern);

  bool matches(std::string_view topic) const noexcept;

  const std::string& str() const noexcept { return pattern_; }

private:
  std::string pattern_;
  bool wildcard_ = false;
};

} // namespace phx
