#pragma once

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace phx {

/// Severity of a log line.
enum class log_level { debug, info, warning, error };

/// How the default handler writes a line to stderr: `text` is
/// "12:00:01.234 [info] what happened", `json` one object per line,
/// {"time":"2026-11-22T12:00:01.234Z","level":"info","conn":"7","msg":"..."}
/// ("conn" for lines about one connection, see log_for).
enum class log_format { text, json };

/// Where log lines go. The default writes them to stderr (see log_format).
/// Debian's CAF has its logger compiled out, so this is the project's own.
using log_handler = std::function<void(log_level, std::string_view)>;

/// Replaces the process-wide log handler (not thread-safe against logging:
/// call it at startup). Lines below `min_level` are dropped.
void set_log_handler(log_handler handler, log_level min_level = log_level::info);

/// Chooses the default handler's format (call it at startup).
void set_log_format(log_format format);

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

/// A line about one connection: "[conn <id>] ..." (a field of its own in
/// JSON lines), so that one client's story can be followed in the log; a
/// plain line when `connection` is 0 (not known).
template <class... Ts>
void log_for(log_level level, std::uint64_t connection, const Ts&... xs) {
  if (!log_enabled(level))
    return;
  if (connection == 0)
    log(level, xs...);
  else
    log(level, "[conn ", connection, "] ", xs...);
}

} // namespace phx
