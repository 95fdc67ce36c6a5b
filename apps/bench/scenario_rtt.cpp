// rtt: push -> reply round trip of `ping` (payload echoed), open loop at
// --rate pushes/s over all connections, or closed loop (one at a time per
// connection) with --rate 0: with --connections 1 that is the idle latency.
// With --ports the connections (and so the pushes) are spread over the nodes;
// each node answers its own clients' pushes (per_node: replies and rtt).
#include "clock.hpp"
#include "scenarios.hpp"
#include "worker_pool.hpp"

#include <string>
#include <vector>

namespace bench {

scenario_result run_rtt(const options& opts) {
  options o = opts;
  o.channels = 1;
  server_set servers = find_servers(o);
  scenario_result r;
  r.json = result_header(o, servers);
  r.json["pings_target"] = o.pings;
  r.json["payload_bytes"] = o.payload_bytes;
  worker_pool pool(o);
  bool ready = pool.wait_ready(o.setup_timeout_ms);
  r.json["joined"] = pool.joined();
  std::vector<int> joined_node = pool.joined_per_node();
  int64_t t0 = now_ns();
  if (ready) {
    pool.command('g');
    if (o.pings > 0)
      pool.wait_complete(int64_t(o.duration_s * 1000));
    else
      pool.hold(int64_t(o.duration_s * 1000));
  }
  double run_s = double(now_ns() - t0) / 1e9;
  worker_totals t = pool.stop(o.drain_ms + 10000);
  int64_t sent = t.counter("pushes_sent"), ok = t.counter("replies_ok");
  int64_t err = t.counter("replies_error");
  r.json["run_s"] = run_s;
  r.json["pushes_sent"] = sent;
  r.json["replies_ok"] = ok;
  r.json["replies_error"] = err;
  r.json["lost"] = sent - ok - err;
  r.json["pushes_per_s"] = run_s > 0 ? double(sent) / run_s : 0.0;
  r.json["rtt"] = latency_json(t.hist("rtt"));
  r.json["unexpected_close"] = t.counter("unexpected_close");
  r.json["closed_forced"] = t.counter("closed_forced");
  if (o.cluster()) {
    result_json per;
    for (int k = 0; k < o.nodes(); ++k) {
      std::string at = "@" + std::to_string(k);
      result_json n;
      n["pid"] = servers.pids[size_t(k)];
      n["connections"] = o.node_connections(k);
      n["joined"] = size_t(k) < joined_node.size() ? joined_node[size_t(k)] : 0;
      n["replies_ok"] = t.counter("replies_ok" + at);
      n["rtt"] = latency_json(t.hist("rtt" + at));
      per[node_key(o, k)] = n;
    }
    r.json["per_node"] = per;
  }
  r.ok = ready && ok > 0 && ok == sent && (o.pings == 0 || sent == o.pings) &&
         t.counter("unexpected_close") == 0;
  return r;
}

} // namespace bench
