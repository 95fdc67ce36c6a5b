#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "phx/protocol/json.hpp"

namespace phx {

/// How deep a value from a client may nest (arrays and objects) unless the
/// endpoint says otherwise (`--max-json-depth`). Deep enough for any real
/// payload, shallow enough that copying or dumping one cannot exhaust a stack.
inline constexpr std::size_t default_max_json_depth = 64;

/// True when some array or object in `text` nests more than `max_depth`
/// levels (`[]` is one level, `[[]]` two, a scalar none). A linear scan that
/// skips strings and stops at the first level past the limit; it does not
/// validate the JSON, and for valid JSON its count is exact.
bool json_nests_deeper_than(std::string_view text, std::size_t max_depth) noexcept;

/// Parses JSON that came from a client. Refuses, before anything can copy or
/// dump it, text nesting deeper than `max_depth` levels: nlohmann parses and
/// destroys without recursion, but copying, comparing and dumping recurse once
/// per level. nullopt on refusal or invalid JSON; `error` says which.
std::optional<json> read_client_json(std::string_view text, std::size_t max_depth,
                                     std::string& error);

} // namespace phx
