#include "http/static_files.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace phx::detail {

const char* mime_type(std::string_view path) {
  auto dot = path.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot);
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<static_file> read_static_file(std::string_view prefix,
                                            const std::string& directory,
                                            std::string_view url_path) {
  if (url_path.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  auto rel = std::string{url_path.substr(prefix.size())};
  if (rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos)
    return std::nullopt;
  // Refuse any ".." segment instead of normalising: nothing legitimate needs one.
  for (std::size_t pos = 0; pos <= rel.size();) {
    auto end = rel.find('/', pos);
    if (end == std::string::npos)
      end = rel.size();
    if (rel.compare(pos, end - pos, "..") == 0)
      return std::nullopt;
    pos = end + 1;
  }
  auto path = directory;
  if (!rel.empty() && rel.front() != '/')
    path += '/';
  path += rel;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return std::nullopt;
  if (S_ISDIR(info.st_mode)) {
    path += path.back() == '/' ? "index.html" : "/index.html";
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
      return std::nullopt;
  } else if (!S_ISREG(info.st_mode)) {
    return std::nullopt;
  }
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  return static_file{body.str(), mime_type(path)};
}

} // namespace phx::detail
