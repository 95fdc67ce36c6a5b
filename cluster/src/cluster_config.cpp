#include "phx/cluster/cluster_config.hpp"

#include <charconv>

namespace phx {

std::optional<peer_address> peer_address::parse(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return std::nullopt;
  auto host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt; // an IPv6 host needs brackets
  }
  auto digits = text.substr(colon + 1);
  std::uint16_t port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0)
    return std::nullopt;
  return peer_address{std::string{host}, port};
}

std::string cluster_config::name() const {
  if (!node_name.empty())
    return node_name;
  return peer_address{node_host, node_port}.text();
}

bool cluster_config::set_peers(std::string_view list, std::string& error) {
  std::vector<peer_address> parsed;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.empty())
      continue;
    auto address = peer_address::parse(item);
    if (!address) {
      error = "\"" + std::string{item} + "\" is not a host:port";
      return false;
    }
    parsed.push_back(std::move(*address));
  }
  peers = std::move(parsed);
  return true;
}

} // namespace phx
