#include "phx/protocol/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace phx {

namespace {

const char* level_name(log_level level) {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "?";
}

void write_stderr(log_level level, std::string_view text) {
  static std::mutex mtx;
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::lock_guard<std::mutex> guard{mtx};
  std::fprintf(stderr, "%s.%03d [%s] %.*s\n", stamp, static_cast<int>(ms), level_name(level),
               static_cast<int>(text.size()), text.data());
}

log_handler handler_ = write_stderr;
log_level min_level_ = log_level::info;

} // namespace

void set_log_handler(log_handler handler, log_level min_level) {
  handler_ = handler ? std::move(handler) : log_handler{write_stderr};
  min_level_ = min_level;
}

bool log_enabled(log_level level) noexcept {
  return level >= min_level_;
}

void log_line(log_level level, std::string_view text) {
  if (log_enabled(level))
    handler_(level, text);
}

} // namespace phx
