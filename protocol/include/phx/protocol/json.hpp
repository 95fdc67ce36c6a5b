#pragma once

#include <nlohmann/json.hpp>

namespace phx {

/// The JSON value type of every payload, params map and assigns map.
using json = nlohmann::json;

/// Serializes `value` compactly; invalid UTF-8 in strings is replaced rather
/// than thrown, so an encode never fails on data a channel produced.
std::string dump_json(const json& value);

} // namespace phx
