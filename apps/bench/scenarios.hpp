#pragma once
// The five scenarios. Each prints its table and RESULT line and says whether
// the run was clean (nothing lost, no errors) for --smoke and the exit code.
#include "options.hpp"
#include "report.hpp"

#include <string>
#include <vector>

namespace bench {

struct scenario_result {
  bool ok = false;
  result_json json;
};

scenario_result run_idle(const options& o);
scenario_result run_fanout(const options& o);
scenario_result run_rtt(const options& o);
scenario_result run_churn(const options& o);
scenario_result run_presence(const options& o);

// Dispatches on o.scenario, under the hard cap; prints the report.
scenario_result run_scenario(const options& o);

// --smoke: every scenario, small and short; returns the exit code.
int run_smoke(const options& o);

// Shared by the scenarios: the server processes to read RSS from, and the
// JSON header every result starts with.
//
// Without --ports: one, --server-pid or the process listening on --port (its
// RSS reads -1 when not found, as the figures always did). With --ports: one
// per node, --server-pid P1,P2,... or the process listening on each port; if
// any is not found, no RSS is read at all (`note` says why) rather than a sum
// that misses a node.
struct server_set {
  bool cluster = false;
  std::vector<int> ports, pids; // per node; pid 0: not found
  std::string note;             // --ports: why RSS is not read; "" if it is
  bool rss_known() const { return note.empty(); }
  struct rss {
    long total_kb = -1;       // sum over distinct pids; -1 if any is unreadable
    std::vector<long> node_kb; // per node; -1: unreadable
  };
  rss read_rss() const;
};
server_set find_servers(const options& o);
result_json result_header(const options& o, const server_set& servers);
// --ports: checks that every node accepts TCP connections before a scenario
// starts; throws std::runtime_error naming the first one that does not.
void check_nodes_reachable(const options& o);
// The key of node k in a result's "per_node" object: its port.
std::string node_key(const options& o, int k);

struct worker_totals;
// With --transport longpoll: the sessions' request counts as j["longpoll"].
void add_longpoll_figures(const options& o, result_json& j, const worker_totals& t);

} // namespace bench
