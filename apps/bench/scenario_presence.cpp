// presence: N clients, each with its own user_id (u0 .. u<N-1>, a connect
// param), connect first, then join one presence topic at --rate joins/s over
// all. A Phoenix-presence server pushes each joiner `presence_state` and
// every subscriber a `presence_diff` per batch of joins; every client keeps
// one bit per client it knows of (from states and diffs, keys scanned rather
// than parsed) and the run ends when every client knows every other.
//
// Figures: joins/s (join replies), presence_diff frames and join entries
// delivered per second, loss (a client that never learnt of another), the
// time from client i's join reply until the last client already there learnt
// of it from a diff (every client: a distribution; the last joiner's alone,
// whom every other client must hear of by a diff: last_join_to_all), server
// RSS per client, and with --baseline-topic (a topic without presence, the
// same clients at --baseline-rate, run first) the RSS per presence beyond
// that channel. A channel that crashes (phx_error: echo's tracker request
// timed out, say) fails the run, and so does any loss.
//
// The clients' reading cost grows as N^2 (each of N clients learns of N
// joins): at 10,000 about 6.5 GB of JSON on loopback, read by the generator on
// the same cores as the server; clients_cpu_s and server_cpu_s show the split.
#include "clock.hpp"
#include "run_control.hpp"
#include "scenarios.hpp"
#include "server_probe.hpp"
#include "worker_pool.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace bench {
namespace {

double children_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double ms(int64_t ns) { return double(ns) / 1e6; }

struct presence_run {
  result_json j;
  bool ok = false;
  int joined = 0;
  long rss_joined_kb = -1;
};

// Server CPU seconds summed over the distinct server processes; -1 if unknown.
double servers_cpu_s(const server_set& servers) {
  double sum = 0;
  std::vector<int> seen;
  for (int pid : servers.pids) {
    if (std::find(seen.begin(), seen.end(), pid) != seen.end())
      continue;
    seen.push_back(pid);
    double s = read_cpu_s(pid);
    if (s < 0)
      return -1;
    sum += s;
  }
  return sum;
}

// Who knew whom, from the merged worker reports.
void add_presence_figures(presence_run& run, const worker_totals& t, int64_t go,
                          int64_t list_keys) {
  result_json& j = run.j;
  int64_t joined = run.joined;
  int64_t span_end = t.counter("last_presence_max_ns");
  double span_s = span_end > go ? double(span_end - go) / 1e9 : 0.0;
  int64_t diffs = t.counter("presence_diffs"), diff_joins = t.counter("diff_join_entries");
  int64_t states = t.counter("presence_states"), state_entries = t.counter("state_entries");
  j["presence_states"] = states;
  j["state_entries"] = state_entries;
  j["presence_diffs"] = diffs;
  j["diff_join_entries"] = diff_joins;
  j["diff_leave_entries"] = t.counter("diff_leave_entries");
  j["presence_mb_read"] = double(t.counter("presence_bytes")) / 1e6;
  j["presence_span_s"] = span_s; // 'g' -> the last presence frame read
  j["diffs_per_s"] = span_s > 0 ? double(diffs) / span_s : 0.0;
  j["diff_join_entries_per_s"] = span_s > 0 ? double(diff_joins) / span_s : 0.0;
  j["entries_per_s"] = span_s > 0 ? double(diff_joins + state_entries) / span_s : 0.0;

  // Each joined client should know every joined client (itself included).
  // join reply of i -> the last client already there learns of i (by a diff;
  // later joiners find i in their presence_state)
  histogram reach;
  int64_t seen = 0, seen_by_all = 0, last = -1, latest_known = 0;
  for (size_t i = 0; i < t.join_at.size(); ++i) {
    if (t.join_at[i] <= 0)
      continue;
    int64_t by = std::min<int64_t>(t.fan_count[i], joined);
    seen += by;
    latest_known = std::max(latest_known, t.fan_last[i]);
    if (by == joined) {
      ++seen_by_all;
      reach.record(t.fan_last[i] - t.join_at[i]);
    }
    if (last < 0 || t.join_at[i] > t.join_at[size_t(last)])
      last = int64_t(i);
  }
  int64_t expected = joined * joined;
  j["knowledge_expected"] = expected; // joined^2 (client, client) pairs
  j["knowledge_seen"] = seen;
  j["lost"] = expected - seen;
  j["clients_knowing_all"] = t.counter("clients_complete");
  j["clients_known_by_all"] = seen_by_all;
  j["keys_unknown"] = t.counter("keys_unknown");
  bool last_ok = last >= 0 && std::min<int64_t>(t.fan_count[size_t(last)], joined) == joined;
  // The last joiner (latest join reply): its reply -> every client knows it.
  j["last_join_to_all_ms"] =
      last_ok ? ms(t.fan_last[size_t(last)] - t.join_at[size_t(last)]) : -1.0;
  int64_t last_join = last >= 0 ? t.join_at[size_t(last)] : go;
  // The last join reply -> every client knows every client.
  j["last_join_to_all_known_ms"] = seen == expected ? ms(latest_known - last_join) : -1.0;
  j["join_to_known_by_all"] = latency_json(reach);
  if (!t.unseen.empty()) { // a few losses: who missed whom, join replies in ms after 'g'
    result_json ex = result_json::array();
    auto at = [&t, go](int i) {
      return size_t(i) < t.join_at.size() && t.join_at[size_t(i)] > 0
                 ? ms(t.join_at[size_t(i)] - go)
                 : -1.0;
    };
    for (auto [client, other] : t.unseen)
      ex.push_back({{"client", "u" + std::to_string(client)}, {"client_joined_ms", at(client)},
                    {"missed", "u" + std::to_string(other)}, {"missed_joined_ms", at(other)}});
    j["lost_examples"] = ex;
  }
  j["list_keys"] = list_keys; // the server's own list, asked at the end
  run.ok = run.ok && seen == expected && expected > 0 && t.counter("keys_unknown") == 0 &&
           list_keys == joined;
}

// One pass: connect every client, then the joins at --rate; waits until
// every join is answered and (presence) every client knows every other.
presence_run measure(const options& o, const server_set& servers, bool rss) {
  presence_run run;
  result_json& j = run.j;
  bool tracks = !o.presence_baseline;
  j["topic"] = o.topic;
  server_set::rss rss0 = servers.read_rss();
  double cpu_clients0 = children_cpu_s();
  worker_pool pool(o);
  bool ready = pool.wait_ready(o.setup_timeout_ms);
  int connected = pool.joined(); // here: connected (joins come after 'g')
  double cpu_server0 = servers_cpu_s(servers);
  int64_t go = now_ns();
  pool.command('g');
  // Ends once every worker is complete; gives up --duration after the last
  // join was due, or after --drain-ms without any progress (joins answered,
  // clients learnt of): what was not known by then counts as lost.
  int64_t joins_due = o.rate > 0 ? int64_t(double(o.connections) / o.rate * 1e9) : 0;
  int64_t deadline = go + joins_due + int64_t(o.duration_s * 1e9);
  int64_t last_move = go, seen = -1;
  bool complete = false;
  while (ready && !complete && !stop_requested() && now_ns() < deadline &&
         now_ns() - last_move < ms_to_ns(o.drain_ms)) {
    complete = pool.wait_complete(std::min<int64_t>(200, (deadline - now_ns()) / 1000000 + 1));
    if (pool.progress_total(5) != seen) {
      seen = pool.progress_total(5);
      last_move = now_ns();
    }
  }
  int64_t done = now_ns();
  double cpu_server1 = servers_cpu_s(servers);
  pool.hold(o.settle_ms);
  server_set::rss rss1 = servers.read_rss();
  int64_t list_keys = -1; // the server's own count, after the RSS reading
  if (tracks && complete)
    list_keys = pool.ask_list(o.drain_ms + 5000);
  worker_totals t = pool.stop(o.drain_ms + 10000);
  double cpu_clients1 = children_cpu_s();
  usleep(useconds_t(o.settle_ms) * 1000); // let the server finish tearing down
  server_set::rss rss2 = servers.read_rss();

  int64_t ok = t.counter("join_ok");
  run.joined = int(ok);
  int64_t first = 0, last = 0;
  for (int64_t at : t.join_at)
    if (at > 0) {
      first = first == 0 ? at : std::min(first, at);
      last = std::max(last, at);
    }
  int64_t sent_end = t.counter("last_join_sent_max_ns");
  j["connected"] = connected;
  j["joins_sent"] = t.counter("joins_sent");
  j["join_ok"] = ok;
  j["join_failed"] = t.counter("join_failed");
  j["joins_sent_per_s"] =
      sent_end > go ? double(t.counter("joins_sent")) / (double(sent_end - go) / 1e9) : 0.0;
  // First join reply -> last join reply.
  j["joins_per_s"] = ok > 1 && last > first ? double(ok - 1) / (double(last - first) / 1e9) : 0.0;
  j["join_span_s"] = double(last - first) / 1e9;
  j["join_latency"] = latency_json(t.hist("join")); // join sent -> its reply
  j["complete"] = complete;
  j["complete_s"] = double(done - go) / 1e9; // 'g' -> every client knows every other
  run.ok = ready && complete && connected == o.connections && ok == o.connections;
  if (tracks)
    add_presence_figures(run, t, go, list_keys);
  if (rss) {
    j["rss_before_kb"] = rss0.total_kb;
    j["rss_joined_kb"] = rss1.total_kb;
    j["rss_end_kb"] = rss2.total_kb; // every client gone
    j["rss_per_client_bytes"] = ok > 0 ? double(rss1.total_kb - rss0.total_kb) * 1024.0 / ok : 0.0;
    run.rss_joined_kb = rss1.total_kb;
  }
  if (cpu_server0 >= 0 && cpu_server1 >= 0)
    j["server_cpu_s"] = cpu_server1 - cpu_server0; // 'g' -> complete
  j["clients_cpu_s"] = cpu_clients1 - cpu_clients0; // the workers' whole life
  for (const char* k : {"connect_failed", "upgrade_failed", "phx_error", "phx_close",
                        "unexpected_close", "closed_forced", "heartbeats_sent", "heartbeats_ok"})
    j[k] = t.counter(k);
  run.ok = run.ok && t.counter("unexpected_close") == 0 && t.counter("phx_error") == 0;
  return run;
}

} // namespace

scenario_result run_presence(const options& opts) {
  options o = opts;
  o.channels = 1;
  o.presence_baseline = false;
  server_set servers = find_servers(o);
  bool rss = servers.rss_known();
  scenario_result r;
  r.json = result_header(o, servers);
  r.json["topic"] = o.topic;
  server_set::rss rss0 = servers.read_rss(); // pristine: before either pass
  presence_run base;
  bool with_base = !o.baseline_topic.empty();
  if (with_base) {
    options b = o;
    b.topic = o.baseline_topic;
    b.presence_baseline = true;
    if (o.baseline_rate > 0)
      b.rate = o.baseline_rate;
    base = measure(b, servers, rss);
    usleep(useconds_t(o.settle_ms) * 1000);
  }
  presence_run run = measure(o, servers, rss);
  for (auto it = run.j.begin(); it != run.j.end(); ++it)
    r.json[it.key()] = it.value();
  if (with_base) {
    base.j["rate"] = o.baseline_rate > 0 ? o.baseline_rate : o.rate;
    r.json["baseline"] = base.j;
    // Both against the pristine RSS, as idle --compare-channels does: the
    // allocator keeps what the baseline's clients freed, and this pass reuses it.
    if (rss && rss0.total_kb > 0 && base.joined > 0 && run.joined > 0) {
      double per_client = double(run.rss_joined_kb - rss0.total_kb) * 1024.0 / run.joined;
      double per_base = double(base.rss_joined_kb - rss0.total_kb) * 1024.0 / base.joined;
      r.json["rss_pristine_kb"] = rss0.total_kb;
      r.json["rss_per_client_vs_pristine_bytes"] = per_client;
      r.json["baseline_rss_per_client_bytes"] = per_base;
      r.json["rss_per_presence_beyond_channel_bytes"] = per_client - per_base;
    }
  }
  r.ok = run.ok && (!with_base || base.ok);
  return r;
}

} // namespace bench
