#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "phx/protocol/json.hpp"

namespace phx::detail {

/// Parses a query string into Phoenix-style params (PROTOCOL.md 3.3): a JSON
/// object of strings, percent-decoded with '+' as space, `a[b]=c` nested into
/// objects, `a[]=x` into arrays, empty segments ignored.
json parse_query(std::string_view query);

/// Decodes base64 in the standard alphabet with or without padding;
/// nullopt when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

} // namespace phx::detail
