#include "phx/actors/socket_ref.hpp"

namespace phx {

bool socket_ref::reply(const std::string& status, const json& response) const {
  auto sink = sink_.lock();
  if (!sink || !format_)
    return false;
  sink->send(format_->encode_reply(join_ref_, ref_, topic_, status, response));
  return true;
}

} // namespace phx
