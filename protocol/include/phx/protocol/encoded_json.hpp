#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "phx/protocol/json.hpp"

namespace phx {

/// A JSON payload encoded once, to push unchanged to many clients: each
/// push copies its bytes into the frame instead of copying and encoding the
/// value again. Cheap to copy (the text is shared and immutable); a topic's
/// whole presence list, pushed to every joiner of a burst, is the use.
class encoded_json {
public:
  /// An empty object, `{}`.
  encoded_json();

  /// Encodes `value` (a JSON object for a push payload).
  explicit encoded_json(const json& value);

  /// Takes `text` as it is: the caller vouches that it is one JSON value
  /// (what a builder of JSON text, such as the presence tracker's list,
  /// produces without a tree in between).
  static encoded_json from_text(std::string text);

  /// The JSON text.
  std::string_view text() const noexcept { return *text_; }
  /// The same, shared (frames splice it in rather than copy it).
  const std::shared_ptr<const std::string>& shared_text() const noexcept { return text_; }

  /// Parses the text back (for tests and logs; a push never needs it).
  json value() const { return json::parse(*text_); }

private:
  explicit encoded_json(std::shared_ptr<const std::string> text) : text_(std::move(text)) {}

  std::shared_ptr<const std::string> text_;
};

} // namespace phx
