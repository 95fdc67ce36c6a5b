#include "presence_meta.hpp"

namespace phx::detail {

std::string presence_meta::ref() const {
  auto meta = value();
  auto i = meta.find("phx_ref");
  return i != meta.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

} // namespace phx::detail
