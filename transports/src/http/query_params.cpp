#include "http/query_params.hpp"

#include <vector>

#include <uriparser/Uri.h>

namespace phx::detail {

namespace {

// Splits "a[b][]" into {"a", "b", ""}; empty when the brackets are malformed.
std::vector<std::string> key_path(const std::string& key) {
  auto open = key.find('[');
  if (open == std::string::npos)
    return {key};
  if (open == 0)
    return {};
  std::vector<std::string> path{key.substr(0, open)};
  for (auto pos = open; pos < key.size();) {
    auto close = key.find(']', pos);
    if (key[pos] != '[' || close == std::string::npos)
      return {};
    path.push_back(key.substr(pos + 1, close - pos - 1));
    pos = close + 1;
  }
  return path;
}

// Stores `value` under `key`, following Phoenix's bracket nesting: a named
// segment is an object key, an empty one appends to an array.
void put(json& params, const std::string& key, std::string value, std::size_t max_depth) {
  auto path = key_path(key);
  if (path.empty() || path.size() > max_depth) { // malformed or too deep: keep the key as it is
    params[key] = std::move(value);
    return;
  }
  json* node = &params;
  for (std::size_t i = 0; i < path.size(); ++i) {
    bool last = i + 1 == path.size();
    if (path[i].empty()) {
      if (!node->is_array())
        *node = json::array();
      node->push_back(last ? json(std::move(value)) : json::object());
      node = &node->back();
    } else {
      if (!node->is_object())
        *node = json::object();
      node = &(*node)[path[i]];
      if (last)
        *node = std::move(value);
    }
  }
}

} // namespace

json parse_query(std::string_view query, std::size_t max_depth) {
  json params = json::object();
  if (query.empty())
    return params;
  UriQueryListA* list = nullptr;
  int count = 0;
  if (uriDissectQueryMallocA(&list, &count, query.data(), query.data() + query.size())
      != URI_SUCCESS)
    return params;
  for (auto* item = list; item; item = item->next) {
    if (!item->key || !*item->key)
      continue;
    put(params, item->key, item->value ? item->value : "", max_depth);
  }
  uriFreeQueryListA(list);
  return params;
}

std::optional<std::string> decode_base64(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value_of(c);
    if (v < 0)
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits >= 6) // a single leftover character cannot encode a byte
    return std::nullopt;
  return out;
}

} // namespace phx::detail
