#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace phx {

/// Severity of a log line.
enum class log_level { debug, info, warning, error };

/// Where log lines go. The default writes "<time> [level] text" to stderr.
/// Debian's CAF has its logger compiled out, so this is the project's own.
using log_handler = std::function<void(log_level, std::string_view)>;

/// Replaces the process-wide log handler (not thread-safe against logging:
/// call it at startup). Lines below `min_level` are dropped.
void set_log_handler(log_handler handler, log_level min_level = log_level::info);

/// True when lines of `level` are written.
bool log_enabled(log_level level) noexcept;

/// Writes one line through the handler.
void log_line(log_level level, std::string_view text);

/// Formats the arguments with operator<< and writes one line.
template <class... Ts>
void log(log_level level, const Ts&... xs) {
  if (!log_enabled(level))
    return;
  std::ostringstream out;
  (out << ... << xs);
  log_line(level, out.str());
}

} // namespace phx
