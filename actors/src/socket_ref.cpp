#include "phx/actors/socket_ref.hpp"

#include "phx/protocol/log.hpp"

namespace phx {

bool socket_ref::reply(const std::string& status, const json& response) const {
  auto sink = sink_.lock();
  if (!sink || !format_)
    return false;
  try {
    sink->send(format_->encode_reply(join_ref_, ref_, topic_, status, response));
  } catch (const std::exception& e) { // bytes for a V1 client
    log(log_level::warning, "reply on ", topic_, " dropped: ", e.what());
    return false;
  }
  return true;
}

} // namespace phx
