#include "phx/metrics/prometheus_writer.hpp"

#include <cmath>
#include <cstdio>

namespace phx::metrics {

namespace {

// `\` and newline always; `"` too inside label values.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

} // namespace

prometheus_writer& prometheus_writer::family(std::string_view name, std::string_view type,
                                             std::string_view help) {
  name_ = std::string{name};
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
  return *this;
}

void prometheus_writer::labels(std::initializer_list<label> labels) {
  out_ += name_;
  if (labels.size() == 0)
    return;
  out_ += '{';
  bool first = true;
  for (auto& [key, value] : labels) {
    if (!first)
      out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    append_escaped(out_, value, true);
    out_ += '"';
  }
  out_ += '}';
}

prometheus_writer& prometheus_writer::sample(std::int64_t value,
                                             std::initializer_list<label> labels) {
  this->labels(labels);
  out_ += ' ';
  out_ += std::to_string(value);
  out_ += '\n';
  return *this;
}

prometheus_writer& prometheus_writer::sample_double(double value,
                                                    std::initializer_list<label> labels) {
  this->labels(labels);
  out_ += ' ';
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out_ += buf;
  }
  out_ += '\n';
  return *this;
}

} // namespace phx::metrics
