#pragma once

#include <cstddef>
#include <string>

namespace phx::test {

/// `depth` arrays, one inside the other: "[[[]]]" for 3.
inline std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/// `depth` objects, one inside the other: {"k":{"k":{}}} for 3.
inline std::string nested_objects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 1; i < depth; ++i)
    out += R"({"k":)";
  return out + "{}" + std::string(depth - 1, '}');
}

} // namespace phx::test
