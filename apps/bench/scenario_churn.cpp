// churn: connect, join, leave, close, again, for --duration with --connections
// cycles in flight; the server's RSS before and after shows leaks. The
// baseline is taken after a warm-up churn (--warmup), once every connection of
// it has ended: what a fresh server grows only once (code paged in, heaps of
// threads that had not allocated yet) is reported apart, as rss_cold_kb.
#include "clock.hpp"
#include "scenarios.hpp"
#include "server_probe.hpp"
#include "worker_pool.hpp"

#include <unistd.h>

namespace bench {

scenario_result run_churn(const options& opts) {
  options o = opts;
  o.channels = 1;
  int pid = resolve_server_pid(o);
  scenario_result r;
  r.json = result_header(o, pid);
  long rss_cold = read_vmrss_kb(pid);
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
  long rss0 = read_vmrss_kb(pid);
  worker_pool pool(o);
  bool ready = pool.wait_ready(o.setup_timeout_ms);
  int64_t t0 = now_ns();
  pool.command('g');
  pool.hold(int64_t(o.duration_s * 1000));
  double run_s = double(now_ns() - t0) / 1e9;
  worker_totals t = pool.stop(o.drain_ms + 10000);
  usleep(useconds_t(o.settle_ms) * 1000); // let the server finish tearing down
  long rss1 = read_vmrss_kb(pid);
  int64_t done = t.counter("cycles_done"), failed = t.counter("cycles_failed");
  r.json["run_s"] = run_s;
  r.json["cycles_done"] = done;
  r.json["cycles_failed"] = failed;
  r.json["cycles_per_s"] = run_s > 0 ? double(done) / run_s : 0.0;
  r.json["connect_to_joined"] = latency_json(t.hist("join"));
  r.json["cycle"] = latency_json(t.hist("cycle"));
  r.json["rss_cold_kb"] = rss_cold;
  r.json["warmup_s"] = o.warmup_s;
  r.json["rss_before_kb"] = rss0;
  r.json["rss_after_kb"] = rss1;
  r.json["rss_growth_kb"] = rss1 - rss0;
  r.json["rss_growth_pct"] = rss0 > 0 ? 100.0 * double(rss1 - rss0) / double(rss0) : 0.0;
  for (const char* k : {"connect_failed", "upgrade_failed", "join_failed", "phx_error"})
    r.json[k] = t.counter(k);
  r.ok = ready && done > 0 && failed == 0 && rss0 > 0 && rss1 > 0;
  return r;
}

} // namespace bench
