// idle: N connections (K channels each) held joined; the server's RSS per
// connection (and per extra channel with --compare-channels). With
// --transport longpoll a connection is a long-poll session with its GET
// waiting. With --ports the connections are spread over the nodes and RSS is
// summed over them (and given per node).
#include "clock.hpp"
#include "scenarios.hpp"
#include "server_probe.hpp"
#include "worker_pool.hpp"

#include <algorithm>

namespace bench {
namespace {

scenario_result measure_idle(const options& o) {
  server_set servers = find_servers(o);
  bool rss = servers.rss_known(); // --ports: every node's process found
  scenario_result r;
  r.json = result_header(o, servers);
  r.json["channels"] = o.channels;
  server_set::rss rss0 = servers.read_rss();
  int64_t t0 = now_ns();
  worker_pool pool(o);
  bool ready = pool.wait_ready(o.setup_timeout_ms);
  double setup_s = double(now_ns() - t0) / 1e9;
  pool.hold(o.settle_ms);
  server_set::rss rss1 = servers.read_rss();
  int64_t held_ms = int64_t(o.duration_s * 1000) - o.settle_ms;
  if (held_ms > 0)
    pool.hold(held_ms);
  server_set::rss rss2 = servers.read_rss();
  int joined = pool.joined();
  std::vector<int> joined_node = pool.joined_per_node();
  worker_totals t = pool.stop(o.drain_ms + 10000);

  auto per_connection = [](long before, long after, int n) {
    return n > 0 && before >= 0 ? double(after - before) * 1024.0 / n : 0.0;
  };
  r.json["joined"] = joined;
  r.json["failed"] = o.connections - joined;
  r.json["setup_s"] = setup_s;
  r.json["joins_per_s"] = setup_s > 0 ? double(t.counter("join_ok")) / setup_s : 0.0;
  r.json["connect_to_joined"] = latency_json(t.hist("setup"));
  if (rss) { // with --ports: sums over the nodes
    r.json["rss_before_kb"] = rss0.total_kb;
    r.json["rss_joined_kb"] = rss1.total_kb;
    r.json["rss_end_kb"] = rss2.total_kb;
    double per_conn = per_connection(rss0.total_kb, rss1.total_kb, joined);
    r.json["rss_per_connection_bytes"] = per_conn;
    r.json["rss_per_channel_bytes"] = per_conn / o.channels;
  }
  for (const char* k : {"heartbeats_sent", "heartbeats_ok", "phx_close", "phx_error",
                        "unexpected_close", "closed_clean", "closed_forced", "connect_failed",
                        "upgrade_failed", "join_failed"})
    r.json[k] = t.counter(k);
  if (o.cluster()) {
    result_json per;
    for (int k = 0; k < o.nodes(); ++k) {
      size_t i = size_t(k);
      int joined_k = i < joined_node.size() ? joined_node[i] : 0;
      result_json n;
      n["pid"] = servers.pids[i];
      n["connections"] = o.node_connections(k);
      n["joined"] = joined_k;
      if (rss) {
        n["rss_before_kb"] = rss0.node_kb[i];
        n["rss_joined_kb"] = rss1.node_kb[i];
        n["rss_end_kb"] = rss2.node_kb[i];
        n["rss_per_connection_bytes"] = per_connection(rss0.node_kb[i], rss1.node_kb[i], joined_k);
      }
      per[node_key(o, k)] = n;
    }
    r.json["per_node"] = per;
  }
  add_longpoll_figures(o, r.json, t);
  r.ok = ready && joined == o.connections && (!rss || rss1.total_kb > 0) &&
         t.counter("unexpected_close") == 0 && t.counter("closed_forced") == 0 &&
         t.counter("phx_error") == 0;
  return r;
}

} // namespace

scenario_result run_idle(const options& o) {
  if (o.channels <= 1 || !o.compare_channels)
    return measure_idle(o);
  // K=1 first, then K: the difference per connection is the cost of K-1 channels.
  options one = o;
  one.channels = 1;
  scenario_result base = measure_idle(one);
  scenario_result r = measure_idle(o);
  if (!r.json.contains("rss_before_kb") || !base.json.contains("rss_before_kb")) {
    r.ok = r.ok && base.ok; // --ports without every node's RSS: nothing to compare
    return r;
  }
  // Both against the pristine baseline of the first run: the allocator keeps
  // what the K=1 connections freed, and the K run reuses it.
  double rss0 = base.json["rss_before_kb"].get<double>();
  double joined = std::max(1, r.json["joined"].get<int>());
  double c1 = base.json["rss_per_connection_bytes"].get<double>();
  double ck = (r.json["rss_joined_kb"].get<double>() - rss0) * 1024.0 / joined;
  r.json["rss_per_connection_bytes"] = ck;
  r.json["rss_per_channel_bytes"] = ck / o.channels;
  r.json["rss_per_connection_bytes_k1"] = c1;
  r.json["rss_per_extra_channel_bytes"] = (ck - c1) / (o.channels - 1);
  r.ok = r.ok && base.ok;
  return r;
}

} // namespace bench
