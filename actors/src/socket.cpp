#include "phx/actors/socket.hpp"

namespace phx {

const connect_info& socket::info() const noexcept {
  static const connect_info none;
  return info_ ? *info_ : none;
}

const json& socket::get(const std::string& key) const {
  static const json null_value;
  auto i = assigns_.find(key);
  return i != assigns_.end() ? *i : null_value;
}

} // namespace phx
