// --smoke: a few seconds of every scenario at small scale; exit 0 only when
// nothing was lost and every figure is present (presence: every one of 200
// clients learnt of every other, and the server lists all 200). Meant for CI against a fresh
// phx-echo. With --transport longpoll: idle and fanout over long-poll. With
// --ports: the same over a cluster (every broadcast must reach every node).
#include "run_control.hpp"
#include "scenarios.hpp"

#include <cstdio>

namespace bench {
namespace {

// True when every number in the result is present and not negative (RSS of an
// unknown pid is -1), and no latency histogram is empty.
bool figures_present(const result_json& j) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_object() && !figures_present(*it))
      return false;
    // Differences (RSS growth) may legitimately be negative; absolute figures not.
    bool signed_figure = it.key().find("growth") != std::string::npos;
    if (it->is_null() || (it->is_number() && !signed_figure && it->get<double>() < 0)) {
      std::fprintf(stderr, "[phx-bench] smoke: figure %s missing or negative\n", it.key().c_str());
      return false;
    }
    if (it.key() == "count" && it->get<int64_t>() == 0) {
      std::fprintf(stderr, "[phx-bench] smoke: a latency histogram is empty\n");
      return false;
    }
  }
  return true;
}

options smoke_options(const options& base, const char* scenario) {
  options o = base;
  o.scenario = scenario;
  o.connections = 200;
  o.channels = 1;
  o.settle_ms = 500;
  o.duration_s = 1;
  o.drain_ms = 2000;
  o.setup_timeout_ms = 5000;
  o.rate = 0;
  o.max_run_s = 20;
  return o;
}

} // namespace

int run_smoke(const options& base) {
  options idle = smoke_options(base, "idle");
  options fanout = smoke_options(base, "fanout");
  fanout.broadcasts = 20;
  options open_loop = fanout; // pipelined POSTs at a set rate
  open_loop.broadcasts = 40;
  open_loop.rate = 100;
  options rtt = smoke_options(base, "rtt");
  rtt.connections = base.nodes(); // one per node with --ports
  rtt.pings = 200;
  rtt.duration_s = 3;
  options churn = smoke_options(base, "churn");
  churn.connections = 10;
  churn.duration_s = 2;
  churn.warmup_s = 0.5;
  options presence = smoke_options(base, "presence"); // 200 clients, all must know all
  presence.topic = "presence:smoke";
  presence.baseline_topic.clear();
  presence.rate = 2000;
  presence.duration_s = 5;  // with --ports, diffs cross nodes every --presence-broadcast-ms
  presence.drain_ms = 4000;
  int failures = 0;
  // Long-poll has no rtt, churn or presence: with --transport longpoll, only the others.
  bool all = base.transport != "longpoll";
  for (const options* o : {&idle, &fanout, &open_loop, &rtt, &churn, &presence}) {
    if (!all && (o == &rtt || o == &churn || o == &presence))
      continue;
    if (stop_requested())
      return 1;
    scenario_result r = run_scenario(*o);
    bool present = figures_present(r.json);
    if (!r.ok || !present) {
      std::fprintf(stderr, "[phx-bench] smoke: %s FAILED\n", o->scenario.c_str());
      ++failures;
    }
  }
  std::printf("SMOKE %s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}

} // namespace bench
