#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace phx::detail {

/// A configuration file in CAF's INI style, as endpoint options read it:
///
///     # a comment (or ; a comment)
///     [global]
///     port = 4000
///     check-origin = "//example.com"
///     idle_timeout_ms = 60000
///
/// One `key = value` per line; keys are option names (`_` may stand for
/// `-`); a value may be quoted ("..." or '...', with \" and \\ inside
/// double quotes) and is otherwise the rest of the line, trimmed. Lines
/// before any section, or under `[global]`, count; any other section is an
/// error (so that a typo does not pass silently).
class config_file {
public:
  struct entry {
    std::string key; ///< normalised: `_` as `-`
    std::string value;
    std::size_t line = 0;
  };

  /// Parses `text`; on a malformed line `error` says which and why, and the
  /// result is empty.
  static std::vector<entry> parse(std::string_view text, std::string& error);

  /// Reads and parses the file at `path`; `error` names the file.
  static std::vector<entry> load(const std::string& path, std::string& error);
};

} // namespace phx::detail
