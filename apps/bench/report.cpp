#include "report.hpp"

#include <cstdio>

namespace bench {
namespace {

double us(int64_t ns) { return double(ns) / 1000.0; }

std::string cell(const result_json& v) {
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v.get<double>());
    return buf;
  }
  if (v.is_string())
    return v.get<std::string>();
  return v.dump();
}

void rows(const std::string& prefix, const result_json& j) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object())
      rows(key, *it);
    else
      std::printf("  %-34s %s\n", key.c_str(), cell(*it).c_str());
  }
}

} // namespace

result_json latency_json(const histogram& h) {
  result_json j;
  j["count"] = h.count();
  j["p50_us"] = us(h.percentile(0.50));
  j["p99_us"] = us(h.percentile(0.99));
  j["p999_us"] = us(h.percentile(0.999));
  j["max_us"] = us(h.max());
  j["mean_us"] = h.mean() / 1000.0;
  return j;
}

void print_report(const std::string& title, const result_json& result) {
  std::printf("== phx-bench %s ==\n", title.c_str());
  rows("", result);
  std::printf("RESULT %s\n", result.dump().c_str());
  std::fflush(stdout);
}

} // namespace bench
