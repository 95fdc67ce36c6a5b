#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phx::detail {

/// A file read for an HTTP answer.
struct static_file {
  std::string body;
  std::string content_type;
};

/// Reads the file that `url_path` names below `directory` (`prefix` being
/// where the directory is mounted). A path with ".." segments, NUL or
/// backslashes, or one that names nothing readable, gives nullopt.
std::optional<static_file> read_static_file(std::string_view prefix,
                                            const std::string& directory,
                                            std::string_view url_path);

/// The Content-Type for a file name, by extension.
const char* mime_type(std::string_view path);

} // namespace phx::detail
