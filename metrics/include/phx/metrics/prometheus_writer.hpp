#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace phx::metrics {

/// Writes Prometheus' text exposition format (version 0.0.4): per metric
/// family a `# HELP` and a `# TYPE` line, then its samples, one per line:
///
///     # HELP phx_joins_total Channel joins, by result.
///     # TYPE phx_joins_total counter
///     phx_joins_total{result="ok"} 12
///
/// Label values are escaped (backslash, double quote, newline), help texts
/// too (backslash, newline). Names are the caller's: the library's follow
/// the conventions (snake_case, a unit suffix, `_total` for counters).
class prometheus_writer {
public:
  using label = std::pair<std::string_view, std::string_view>;

  /// The content type of the text: for the HTTP answer.
  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

  /// Starts a family: "counter", "gauge" or "untyped".
  prometheus_writer& family(std::string_view name, std::string_view type, std::string_view help);

  /// One sample of the current family.
  prometheus_writer& sample(std::int64_t value, std::initializer_list<label> labels = {});
  prometheus_writer& sample_double(double value, std::initializer_list<label> labels = {});

  /// A family with a single sample.
  prometheus_writer& single(std::string_view name, std::string_view type, std::string_view help,
                            std::int64_t value) {
    return family(name, type, help).sample(value);
  }

  const std::string& text() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

private:
  void labels(std::initializer_list<label> labels);

  std::string out_;
  std::string name_;
};

} // namespace phx::metrics
