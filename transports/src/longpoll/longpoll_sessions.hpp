#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace phx::detail {

class longpoll_session;

/// The live long-poll sessions of an endpoint, by session id: a token's id
/// leads here. Thread-safe.
class longpoll_sessions {
public:
  void add(const std::string& id, std::shared_ptr<longpoll_session> session);
  std::shared_ptr<longpoll_session> find(const std::string& id);
  /// Removes `id` if it still names `session`.
  void remove(const std::string& id, const longpoll_session* session);
  std::vector<std::shared_ptr<longpoll_session>> all();
  std::size_t size();

private:
  std::mutex mtx_;
  std::unordered_map<std::string, std::shared_ptr<longpoll_session>> sessions_;
};

} // namespace phx::detail
