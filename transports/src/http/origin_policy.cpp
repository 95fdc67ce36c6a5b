#include "http/origin_policy.hpp"

#include <charconv>

#include "http/header_text.hpp"

namespace phx::detail {

namespace {

std::optional<unsigned> default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws")
    return 80u;
  if (scheme == "https" || scheme == "wss")
    return 443u;
  return std::nullopt;
}

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
         || c == ':' || c == '*';
}

} // namespace

std::optional<origin_parts> parse_origin(std::string_view text, bool expect_scheme) {
  text = trim_ows(text);
  origin_parts parts;
  if (expect_scheme) {
    auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0)
      return std::nullopt;
    parts.scheme = ascii_lower(text.substr(0, sep));
    text.remove_prefix(sep + 3);
  }
  // An origin has no path, but be lenient about a trailing one.
  text = text.substr(0, text.find('/'));
  std::string_view host = text, port;
  if (!text.empty() && text.front() == '[') { // IPv6 literal
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = text.substr(1, close - 1);
    if (host.find(':') == std::string_view::npos)
      return std::nullopt; // brackets are for IPv6 literals only
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      port = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return std::nullopt; // an unbracketed IPv6 address
  }
  if (host.empty())
    return std::nullopt;
  parts.host = ascii_lower(host);
  for (char c : parts.host)
    if (!valid_host_char(c))
      return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
      return std::nullopt;
    parts.port = value;
  }
  return parts;
}

std::optional<origin_policy> origin_policy::parse(std::string_view spec, std::string& error) {
  origin_policy policy;
  spec = trim_ows(spec);
  if (spec.empty() || spec == "host")
    return policy;
  if (spec == "off") {
    policy.mode_ = mode::off;
    return policy;
  }
  policy.mode_ = mode::list;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    auto item = trim_ows(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item.empty())
      continue;
    // "//host" has no scheme; "host" alone is taken the same way.
    bool schemeless = item.substr(0, 2) == "//" || item.find("://") == std::string_view::npos;
    if (item.substr(0, 2) == "//")
      item.remove_prefix(2);
    auto parts = parse_origin(item, !schemeless);
    if (!parts) {
      error = "\"" + std::string{item} + "\" is not an origin (like //example.com, "
              "https://example.com or //*.example.com:8080)";
      return std::nullopt;
    }
    allowed entry;
    entry.scheme = parts->scheme;
    entry.host = parts->host;
    if (entry.host.rfind("*.", 0) == 0) {
      entry.subdomains = true;
      entry.host.erase(0, 2);
    }
    if (entry.host.empty() || entry.host.find('*') != std::string::npos) {
      error = "\"" + std::string{item} + "\": a wildcard may only open the host (*.example.com)";
      return std::nullopt;
    }
    entry.port = parts->port ? parts->port : default_port(entry.scheme);
    policy.list_.push_back(std::move(entry));
  }
  if (policy.list_.empty()) {
    error = "the origin list is empty";
    return std::nullopt;
  }
  return policy;
}

bool origin_policy::allows(std::optional<std::string_view> origin,
                           std::string_view host_header) const {
  if (!origin || mode_ == mode::off)
    return true;
  auto parts = parse_origin(*origin, true);
  if (!parts || parts->host.find('*') != std::string::npos)
    return false; // "null", "file://", garbage; a wildcard is for the list only
  if (mode_ == mode::same_host) {
    auto own = parse_origin(host_header, false);
    return own && own->host == parts->host;
  }
  auto port = parts->port ? parts->port : default_port(parts->scheme);
  for (auto& entry : list_) {
    if (!entry.scheme.empty() && entry.scheme != parts->scheme)
      continue;
    if (entry.port && entry.port != port)
      continue;
    auto& host = parts->host;
    if (host == entry.host)
      return true;
    // "*.example.com" takes "a.example.com", not "prefix-example.com".
    if (entry.subdomains && host.size() > entry.host.size()
        && host.compare(host.size() - entry.host.size(), entry.host.size(), entry.host) == 0
        && host[host.size() - entry.host.size() - 1] == '.')
      return true;
  }
  return false;
}

} // namespace phx::detail
