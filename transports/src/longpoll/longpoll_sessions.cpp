#include "longpoll/longpoll_sessions.hpp"

#include "longpoll/longpoll_session.hpp"

namespace phx::detail {

void longpoll_sessions::add(const std::string& id, std::shared_ptr<longpoll_session> session) {
  std::lock_guard<std::mutex> guard{mtx_};
  sessions_[id] = std::move(session);
}

std::shared_ptr<longpoll_session> longpoll_sessions::find(const std::string& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  return i == sessions_.end() ? nullptr : i->second;
}

void longpoll_sessions::remove(const std::string& id, const longpoll_session* session) {
  std::shared_ptr<longpoll_session> removed; // released outside the lock
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i != sessions_.end() && i->second.get() == session) {
    removed = std::move(i->second);
    sessions_.erase(i);
  }
}

std::vector<std::shared_ptr<longpoll_session>> longpoll_sessions::all() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::shared_ptr<longpoll_session>> result;
  result.reserve(sessions_.size());
  for (auto& [id, session] : sessions_)
    result.push_back(session);
  return result;
}

std::size_t longpoll_sessions::size() {
  std::lock_guard<std::mutex> guard{mtx_};
  return sessions_.size();
}

} // namespace phx::detail
