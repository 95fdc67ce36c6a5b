// churn: connect, join, leave, close, again, for --duration with --connections
// cycles in flight; the server's RSS before and after shows leaks. The
// baseline is taken after a warm-up churn (--warmup), once every connection of
// it has ended: what a fresh server grows only once (code paged in, heaps of
// threads that had not allocated yet) is reported apart, as rss_cold_kb.
// With --ports the cycles in flight are spread over the nodes (slot i of the
// --connections goes to node i % n) and RSS is summed over them.
#include "clock.hpp"
#include "scenarios.hpp"
#include "server_probe.hpp"
#include "worker_pool.hpp"

#include <unistd.h>

#include <string>

namespace bench {

scenario_result run_churn(const options& opts) {
  options o = opts;
  o.channels = 1;
  server_set servers = find_servers(o);
  bool rss = servers.rss_known(); // --ports: every node's process found
  scenario_result r;
  r.json = result_header(o, servers);
  server_set::rss rss_cold = servers.read_rss();
  if (o.warmup_s > 0) {
    options w = o;
    w.duration_s = o.warmup_s;
    worker_pool warm(w);
    if (warm.wait_ready(w.setup_timeout_ms)) {
      warm.command('g');
      warm.hold(int64_t(w.duration_s * 1000));
    }
    warm.stop(w.drain_ms + 10000);
    usleep(useconds_t(o.settle_ms) * 1000);
  }
  server_set::rss rss0 = servers.read_rss();
  worker_pool pool(o);
  bool ready = pool.wait_ready(o.setup_timeout_ms);
  int64_t t0 = now_ns();
  pool.command('g');
  pool.hold(int64_t(o.duration_s * 1000));
  double run_s = double(now_ns() - t0) / 1e9;
  worker_totals t = pool.stop(o.drain_ms + 10000);
  usleep(useconds_t(o.settle_ms) * 1000); // let the server finish tearing down
  server_set::rss rss1 = servers.read_rss();
  int64_t done = t.counter("cycles_done"), failed = t.counter("cycles_failed");
  r.json["run_s"] = run_s;
  r.json["cycles_done"] = done;
  r.json["cycles_failed"] = failed;
  r.json["cycles_per_s"] = run_s > 0 ? double(done) / run_s : 0.0;
  r.json["connect_to_joined"] = latency_json(t.hist("join"));
  r.json["cycle"] = latency_json(t.hist("cycle"));
  auto growth_pct = [](long before, long after) {
    return before > 0 ? 100.0 * double(after - before) / double(before) : 0.0;
  };
  if (rss) // with --ports: sums over the nodes
    r.json["rss_cold_kb"] = rss_cold.total_kb;
  r.json["warmup_s"] = o.warmup_s;
  if (rss) {
    r.json["rss_before_kb"] = rss0.total_kb;
    r.json["rss_after_kb"] = rss1.total_kb;
    r.json["rss_growth_kb"] = rss1.total_kb - rss0.total_kb;
    r.json["rss_growth_pct"] = growth_pct(rss0.total_kb, rss1.total_kb);
  }
  for (const char* k : {"connect_failed", "upgrade_failed", "join_failed", "phx_error"})
    r.json[k] = t.counter(k);
  if (o.cluster()) {
    result_json per;
    for (int k = 0; k < o.nodes(); ++k) {
      size_t i = size_t(k);
      std::string at = "@" + std::to_string(k);
      result_json n;
      n["pid"] = servers.pids[i];
      n["connections"] = o.node_connections(k); // cycles in flight there
      n["cycles_done"] = t.counter("cycles_done" + at);
      n["cycles_failed"] = t.counter("cycles_failed" + at);
      n["cycle"] = latency_json(t.hist("cycle" + at));
      if (rss) {
        n["rss_before_kb"] = rss0.node_kb[i];
        n["rss_after_kb"] = rss1.node_kb[i];
        n["rss_growth_kb"] = rss1.node_kb[i] - rss0.node_kb[i];
        n["rss_growth_pct"] = growth_pct(rss0.node_kb[i], rss1.node_kb[i]);
      }
      per[node_key(o, k)] = n;
    }
    r.json["per_node"] = per;
  }
  r.ok = ready && done > 0 && failed == 0 && (!rss || (rss0.total_kb > 0 && rss1.total_kb > 0));
  return r;
}

} // namespace bench
