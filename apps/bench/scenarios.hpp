#pragma once
// The four scenarios. Each prints its table and RESULT line and says whether
// the run was clean (nothing lost, no errors) for --smoke and the exit code.
#include "options.hpp"
#include "report.hpp"

namespace bench {

struct scenario_result {
  bool ok = false;
  result_json json;
};

scenario_result run_idle(const options& o);
scenario_result run_fanout(const options& o);
scenario_result run_rtt(const options& o);
scenario_result run_churn(const options& o);

// Dispatches on o.scenario, under the hard cap; prints the report.
scenario_result run_scenario(const options& o);

// --smoke: every scenario, small and short; returns the exit code.
int run_smoke(const options& o);

// Shared by the scenarios: the server pid to read RSS from (--server-pid, or
// the process listening on --port), and the JSON header every result starts with.
int resolve_server_pid(const options& o);
result_json result_header(const options& o, int server_pid);

struct worker_totals;
// With --transport longpoll: the sessions' request counts as j["longpoll"].
void add_longpoll_figures(const options& o, result_json& j, const worker_totals& t);

} // namespace bench
