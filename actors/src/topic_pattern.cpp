#include "phx/actors/topic_pattern.hpp"

#include <stdexcept>

namespace phx {

topic_pattern::topic_pattern(std::string pattern) : pattern_(std::move(pattern)) {
  if (pattern_.empty())
    throw std::invalid_argument("channel route: empty topic pattern");
  auto star = pattern_.find('*');
  if (star != std::string::npos && star != pattern_.size() - 1)
    throw std::invalid_argument("channel route \"" + pattern_
                                + "\": '*' may only be the last character");
  if (star != std::string::npos) {
    wildcard_ = true;
    pattern_.pop_back();
  }
}

bool topic_pattern::matches(std::string_view topic) const noexcept {
  if (wildcard_)
    return topic.substr(0, pattern_.size()) == pattern_;
  return topic == pattern_;
}

} // namespace phx
