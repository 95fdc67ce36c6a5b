#pragma once
// Output of a scenario: a human-readable table, then exactly one line
// `RESULT {json}` carrying every figure, for scripts to grep.
#include "histogram.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace bench {

using result_json = nlohmann::ordered_json;

// {"count","p50_us","p99_us","p999_us","max_us","mean_us"} from a ns histogram.
result_json latency_json(const histogram& h);

void print_report(const std::string& title, const result_json& result);

} // namespace bench
