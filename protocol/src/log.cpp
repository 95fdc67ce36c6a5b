#include "phx/protocol/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "phx/protocol/json.hpp"

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

log_format format_ = log_format::text;

// "12:00:01.234" for text lines, "2026-11-22T12:00:01.234Z" for JSON ones.
std::string timestamp(bool full) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[40];
  auto n = std::strftime(stamp, sizeof stamp, full ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, full ? ".%03dZ" : ".%03d", static_cast<int>(ms));
  return stamp;
}

// One JSON object per line; the text's own "[conn N] " prefix (log_for)
// becomes a field.
std::string json_line(log_level level, std::string_view text) {
  json line{{"time", timestamp(true)}, {"level", level_name(level)}};
  if (text.rfind("[conn ", 0) == 0) {
    auto end = text.find("] ");
    if (end != std::string_view::npos) {
      line["conn"] = std::string{text.substr(6, end - 6)};
      text.remove_prefix(end + 2);
    }
  }
  line["msg"] = std::string{text};
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_stderr(log_level level, std::string_view text) {
  static std::mutex mtx;
  auto out = format_ == log_format::json
               ? json_line(level, text)
               : timestamp(false) + " [" + level_name(level) + "] " + std::string{text};
  out += '\n';
  std::lock_guard<std::mutex> guard{mtx};
  std::fwrite(out.data(), 1, out.size(), stderr);
}

log_handler handler_ = write_stderr;
log_level min_level_ = log_level::info;

} // namespace

void set_log_handler(log_handler handler, log_level min_level) {
  handler_ = handler ? std::move(handler) : log_handler{write_stderr};
  min_level_ = min_level;
}

void set_log_format(log_format format) {
  format_ = format;
}

bool log_enabled(log_level level) noexcept {
  return level >= min_level_;
}

void log_line(log_level level, std::string_view text) {
  if (log_enabled(level))
    handler_(level, text);
}

} // namespace phx
