// Helpers shared by the scenarios, and the dispatcher.
#include "blocking_socket.hpp"
#include "run_control.hpp"
#include "scenarios.hpp"
#include "server_probe.hpp"
#include "worker_pool.hpp"

#include <set>
#include <stdexcept>

namespace bench {

server_set find_servers(const options& o) {
  server_set s;
  s.cluster = o.cluster();
  for (int k = 0; k < o.nodes(); ++k) {
    int port = o.node_port(k);
    int pid = o.server_pids.size() == size_t(o.nodes()) ? o.server_pids[size_t(k)]
              : o.server_pid > 0                         ? o.server_pid
                                                         : find_listening_pid(port);
    s.ports.push_back(port);
    s.pids.push_back(pid);
    if (!s.cluster || !s.note.empty())
      continue;
    if (pid == 0)
      s.note = "RSS not read: no process found listening on port " + std::to_string(port) +
               " (give --server-pid with one pid per port)";
    else if (read_vmrss_kb(pid) < 0)
      s.note = "RSS not read: cannot read /proc/" + std::to_string(pid) + "/status (port " +
               std::to_string(port) + ")";
  }
  return s;
}

server_set::rss server_set::read_rss() const {
  rss r;
  r.total_kb = 0;
  std::set<int> counted; // one process serving two ports is counted once
  for (int pid : pids) {
    long kb = read_vmrss_kb(pid);
    r.node_kb.push_back(kb);
    if (kb < 0)
      r.total_kb = -1;
    else if (r.total_kb >= 0 && counted.insert(pid).second)
      r.total_kb += kb;
  }
  return r;
}

void check_nodes_reachable(const options& o) {
  if (!o.cluster())
    return;
  for (int k = 0; k < o.nodes(); ++k) {
    blocking_socket probe;
    if (!probe.connect(o.host, o.node_port(k), 2000))
      throw std::runtime_error("--ports: node " + std::to_string(k + 1) + " of " +
                               std::to_string(o.nodes()) + " (" + o.host + ":" +
                               std::to_string(o.node_port(k)) + ") accepts no connection");
  }
}

namespace {

// --tls: one handshake with each node before the scenario, so that a port
// that does not speak TLS is named at once, not found out as thousands of
// connect failures; what the first node negotiated goes into the result.
void check_tls(const options& o, result_json& negotiated) {
  for (int k = 0; o.tls && k < o.nodes(); ++k) {
    blocking_socket probe;
    if (!probe.connect(o.host, o.node_port(k), 2000, true))
      throw std::runtime_error("--tls: " + o.host + ":" + std::to_string(o.node_port(k)) +
                               " completed no TLS handshake (reason above, if it got that far)");
    if (k == 0) {
      negotiated["tls_protocol"] = probe.tls()->protocol();
      negotiated["tls_cipher"] = probe.tls()->cipher();
    }
  }
}

} // namespace

std::string node_key(const options& o, int k) { return std::to_string(o.node_port(k)); }

result_json result_header(const options& o, const server_set& servers) {
  result_json j;
  j["scenario"] = o.scenario;
  j["host"] = o.host;
  j["port"] = o.port;
  j["nodes"] = o.nodes();
  if (o.cluster())
    j["ports"] = servers.ports;
  j["transport"] = o.transport;
  j["tls"] = o.tls;
  j["server_pid"] = servers.pids.empty() ? 0 : servers.pids[0];
  if (o.cluster())
    j["server_pids"] = servers.pids;
  if (!servers.rss_known())
    j["rss_note"] = servers.note;
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
  check_nodes_reachable(o);
  result_json negotiated;
  check_tls(o, negotiated);
  arm_hard_cap(hard_cap_seconds(o));
  scenario_result r;
  if (o.scenario == "idle")
    r = run_idle(o);
  else if (o.scenario == "fanout")
    r = run_fanout(o);
  else if (o.scenario == "rtt")
    r = run_rtt(o);
  else if (o.scenario == "presence")
    r = run_presence(o);
  else
    r = run_churn(o);
  disarm_hard_cap();
  r.json["ok"] = r.ok;
  if (o.tls)
    r.json.update(negotiated);
  print_report(o.tls ? o.scenario + " over TLS" : o.scenario, r.json);
  return r;
}

} // namespace bench
