#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace phx::detail {

// Small helpers for HTTP header values, which compare case-insensitively
// (ASCII only, as HTTP does) and may carry optional whitespace around them.

/// `text` without the spaces and tabs around it.
inline std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

inline char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` in ASCII lower case.
inline std::string ascii_lower(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    c = ascii_lower(c);
  return out;
}

/// True when `a` and `b` are equal ignoring ASCII case.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i]))
      return false;
  return true;
}

} // namespace phx::detail
