#include "server_state.hpp"

#include <chrono>

#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"

namespace phx::detail {

namespace {

// At most one line a second: a flood of refusals must not flood the log.
bool log_due(std::atomic<std::int64_t>& last_logged) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
  auto last = last_logged.load();
  return now != last && last_logged.compare_exchange_strong(last, now);
}

} // namespace

std::uint64_t next_connection_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

connection_slot server_state::take_connection_slot(metrics::counter& gauge) {
  auto& m = metrics::node();
  if (draining.load()) {
    m.refused_draining.add(1);
    return {};
  }
  auto slot = connection_slot::try_take(connections, config.max_connections, gauge);
  if (!slot) {
    m.refused_limit.add(1);
    static std::atomic<std::int64_t> last_logged{0};
    if (log_due(last_logged))
      log(log_level::warning, "refusing connects (503): ", config.max_connections,
          " connections open (--max-connections)");
  }
  return slot;
}

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
