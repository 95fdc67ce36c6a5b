#include "phx/protocol/json_reader.hpp"

namespace phx {

bool json_nests_deeper_than(std::string_view text, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth)
          return true;
        break;
      case ']':
      case '}':
        if (depth > 0) // unbalanced text is the parser's to refuse
          --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

std::optional<json> read_client_json(std::string_view text, std::size_t max_depth,
                                     std::string& error) {
  if (json_nests_deeper_than(text, max_depth)) {
    error = "JSON nested deeper than " + std::to_string(max_depth) + " levels";
    return std::nullopt;
  }
  auto value = json::parse(text, nullptr, false);
  if (value.is_discarded()) {
    error = "not valid JSON";
    return std::nullopt;
  }
  return value;
}

} // namespace phx
