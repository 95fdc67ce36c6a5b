#include "config/config_file.hpp"

#include <fstream>
#include <sstream>

namespace phx::detail {

namespace {

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// A quoted value: false if it does not close, or text follows it (other
// than a comment).
bool unquote(std::string_view text, std::string& out) {
  char quote = text.front();
  std::size_t i = 1;
  for (; i < text.size() && text[i] != quote; ++i) {
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size())
      ++i;
    out += text[i];
  }
  if (i >= text.size())
    return false;
  auto rest = trim(text.substr(i + 1));
  return rest.empty() || rest.front() == '#' || rest.front() == ';';
}

bool parse_value(std::string_view text, std::string& out) {
  if (!text.empty() && (text.front() == '"' || text.front() == '\''))
    return unquote(text, out);
  out = std::string{text};
  return true;
}

std::string normalise_key(std::string_view key) {
  std::string out{key};
  for (auto& c : out)
    if (c == '_')
      c = '-';
  return out;
}

} // namespace

std::vector<config_file::entry> config_file::parse(std::string_view text, std::string& error) {
  std::vector<entry> out;
  std::size_t number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(number) + ": " + why;
      out.clear();
      return out;
    };
    if (line.empty() || line.front() == '#' || line.front() == ';')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        return fail("a section header must end with ]");
      auto name = trim(line.substr(1, line.size() - 2));
      if (name != "global")
        return fail("unknown section [" + std::string{name} + "] (only [global])");
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return fail("expected key = value");
    auto key = trim(line.substr(0, eq));
    if (key.empty())
      return fail("a key is missing before =");
    std::string value;
    if (!parse_value(trim(line.substr(eq + 1)), value))
      return fail("a quoted value must close on its line");
    out.push_back(entry{normalise_key(key), std::move(value), number});
  }
  return out;
}

std::vector<config_file::entry> config_file::load(const std::string& path, std::string& error) {
  std::ifstream in{path};
  if (!in) {
    error = "cannot read the config file " + path;
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto entries = parse(text.str(), error);
  if (!error.empty())
    error = path + ", " + error;
  return entries;
}

} // namespace phx::detail
