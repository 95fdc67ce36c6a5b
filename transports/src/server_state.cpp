#include "server_state.hpp"

namespace phx::detail {

void server_state::add_session(websocket_session* key, std::weak_ptr<websocket_session> session) {
  std::lock_guard<std::mutex> guard{sessions_mtx_};
  sessions_.emplace(key, std::move(session));
}

void server_state::remove_session(websocket_session* key) {
  std::lock_guard<std::mutex> guard{sessions_mtx_};
  sessions_.erase(key);
}

std::vector<std::shared_ptr<websocket_session>> server_state::live_sessions() {
  std::vector<std::shared_ptr<websocket_session>> result;
  std::lock_guard<std::mutex> guard{sessions_mtx_};
  result.reserve(sessions_.size());
  for (auto& [key, weak] : sessions_)
    if (auto session = weak.lock())
      result.push_back(std::move(session));
  return result;
}

} // namespace phx::detail
