// Helpers shared by the scenarios, and the dispatcher.
#include "run_control.hpp"
#include "scenarios.hpp"
#include "server_probe.hpp"
#include "worker_pool.hpp"

namespace bench {

int resolve_server_pid(const options& o) {
  return o.server_pid > 0 ? o.server_pid : find_listening_pid(o.port);
}

result_json result_header(const options& o, int server_pid) {
  result_json j;
  j["scenario"] = o.scenario;
  j["host"] = o.host;
  j["port"] = o.port;
  j["transport"] = o.transport;
  j["server_pid"] = server_pid;
  j["processes"] = std::min(o.processes, o.connections);
  j["source_addresses"] = o.source_addresses;
  j["connections"] = o.connections;
  j["rate_target"] = o.rate;
  return j;
}

void add_longpoll_figures(const options& o, result_json& j, const worker_totals& t) {
  if (o.transport != "longpoll")
    return;
  result_json lp;
  int64_t answered = t.counter("lp_polls_messages");
  lp["polls"] = t.counter("lp_polls");
  lp["polls_with_messages"] = answered;
  lp["polls_empty"] = t.counter("lp_polls_empty");
  lp["messages"] = t.counter("lp_messages");
  lp["messages_per_answer"] = answered > 0 ? double(t.counter("lp_messages")) / double(answered) : 0.0;
  lp["posts"] = t.counter("lp_posts");
  lp["posts_refused"] = t.counter("lp_posts_refused");
  lp["sessions_gone"] = t.counter("lp_gone");
  j["longpoll"] = lp;
}

scenario_result run_scenario(const options& o) {
  arm_hard_cap(hard_cap_seconds(o));
  scenario_result r;
  if (o.scenario == "idle")
    r = run_idle(o);
  else if (o.scenario == "fanout")
    r = run_fanout(o);
  else if (o.scenario == "rtt")
    r = run_rtt(o);
  else
    r = run_churn(o);
  disarm_hard_cap();
  r.json["ok"] = r.ok;
  print_report(o.scenario, r.json);
  return r;
}

} // namespace bench
