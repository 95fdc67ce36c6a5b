#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "phx/protocol/json.hpp"
#include "phx/protocol/json_reader.hpp"

namespace phx::detail {

/// Parses a query string into Phoenix-style params: a JSON object of
/// strings, percent-decoded with '+' as space, `a[b]=c` nested into objects,
/// `a[]=x` into arrays, empty segments ignored. A key whose brackets would
/// nest the params deeper than `max_depth` levels is kept flat, as it is
/// written, like a key with malformed brackets.
json parse_query(std::string_view query, std::size_t max_depth = default_max_json_depth);

/// Decodes base64 in the standard alphabet with or without padding;
/// nullopt when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

} // namespace phx::detail
