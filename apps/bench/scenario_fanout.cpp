// fanout: S subscribers of one topic (WebSocket or long-poll), B broadcasts
// (POST /api/broadcast or a `shout` push from a WebSocket publisher); latency
// of a broadcast = its last delivery - its publish time. With --ports the
// subscribers are spread over the nodes of a cluster and the broadcasts go to
// the first: per_node then shows what each node's subscribers got, and when.
#include "clock.hpp"
#include "http_client.hpp"
#include "phx_frame.hpp"
#include "run_control.hpp"
#include "scenarios.hpp"
#include "worker_pool.hpp"
#include "ws_publisher.hpp"

#include <unistd.h>

#include <algorithm>
#include <functional>

namespace bench {
namespace {

struct publish_log {
  std::vector<int64_t> at; // publish time per seq
  int64_t errors = 0;
  int64_t start = 0, end = 0;
};

// Closed loop: the next broadcast goes out when the previous was accepted
// (202, or our own copy for shout), paced to --rate when given.
publish_log publish_all(const options& o, worker_pool& pool,
                        const std::function<bool(int64_t, const std::string&)>& publish) {
  publish_log log;
  log.start = now_ns();
  for (int64_t seq = 0; seq < o.broadcasts && !stop_requested(); ++seq) {
    if (o.rate > 0) {
      int64_t due = log.start + int64_t(double(seq) * 1e9 / o.rate);
      while (now_ns() < due)
        pool.pump(int(std::max<int64_t>(0, (due - now_ns()) / 1000000)));
    }
    int64_t t = now_ns();
    log.at.push_back(t);
    if (!publish(seq, timed_payload(t, seq, o.payload_bytes)))
      ++log.errors;
    pool.pump(0);
  }
  log.end = now_ns();
  return log;
}

std::string broadcast_body(const options& o, const std::string& payload) {
  return "{\"topic\":\"" + o.topic + "\",\"event\":\"" + o.event + "\",\"payload\":" +
         payload + "}";
}

std::function<bool(int64_t, const std::string&)> http_trigger(const options& o, http_client& http) {
  return [&o, &http](int64_t, const std::string& payload) {
    return http.post_json("/api/broadcast", broadcast_body(o, payload)) == 202;
  };
}

// Open loop (--trigger http with --rate): each POST leaves on schedule,
// pipelined, however long the server takes to answer, so the offered rate is
// the rate asked for; answers are counted as they come.
publish_log publish_open_loop(const options& o, worker_pool& pool, http_client& http) {
  publish_log log;
  log.start = now_ns();
  for (int64_t seq = 0; seq < o.broadcasts && !stop_requested(); ++seq) {
    int64_t due = log.start + int64_t(double(seq) * 1e9 / o.rate);
    while (now_ns() < due) {
      pool.pump(int(std::min<int64_t>(1, (due - now_ns()) / 1000000)));
      http.collect_answers(202, 0, log.errors);
    }
    int64_t t = now_ns();
    log.at.push_back(t);
    if (!http.send_post("/api/broadcast", broadcast_body(o, timed_payload(t, seq, o.payload_bytes))))
      ++log.errors;
  }
  log.end = now_ns();
  return log;
}

// The answers an open-loop publisher still waits for, once deliveries are in.
void collect_late_answers(const options& o, http_client& http, publish_log& log) {
  int64_t give_up = now_ns() + int64_t(o.drain_ms) * 1000000;
  while (http.answers_due() > 0 && now_ns() < give_up && http.collect_answers(202, 10, log.errors)) {
  }
  log.errors += http.answers_due(); // never answered
}

std::function<bool(int64_t, const std::string&)> shout_trigger(ws_publisher& pub) {
  return [&pub](int64_t seq, const std::string& payload) {
    return pub.publish(seq, payload) && pub.wait_own_copy(seq);
  };
}

// Deliveries, losses and per-broadcast latency from the merged worker reports.
void add_figures(scenario_result& r, const worker_totals& t, const publish_log& log, int joined) {
  histogram per_broadcast;
  int64_t delivered = 0, last = log.start;
  for (size_t seq = 0; seq < log.at.size() && seq < t.fan_count.size(); ++seq) {
    delivered += t.fan_count[seq];
    if (t.fan_count[seq] > 0) {
      per_broadcast.record(t.fan_last[seq] - log.at[seq]);
      last = std::max(last, t.fan_last[seq]);
    }
  }
  int64_t published = int64_t(log.at.size()) - log.errors;
  int64_t expected = published * joined;
  double span_s = double(last - log.start) / 1e9;
  r.json["broadcasts_published"] = published;
  r.json["publish_errors"] = log.errors;
  r.json["publish_per_s"] = double(log.at.size()) / std::max(1e-9, double(log.end - log.start) / 1e9);
  r.json["deliveries_expected"] = expected;
  r.json["deliveries"] = delivered;
  r.json["lost"] = expected - delivered;
  r.json["deliveries_per_s"] = span_s > 0 ? double(delivered) / span_s : 0.0;
  r.json["first_publish_to_last_delivery_s"] = span_s;
  r.json["broadcast_latency"] = latency_json(per_broadcast); // publish -> last delivery
  r.json["delivery_latency"] = latency_json(t.hist("delivery")); // publish -> each delivery
  r.json["deliveries_unknown"] = t.counter("deliveries_unknown");
  r.json["unexpected_close"] = t.counter("unexpected_close");
  r.json["closed_forced"] = t.counter("closed_forced");
  r.ok = published == int64_t(log.at.size()) && published > 0 && expected == delivered &&
         t.counter("unexpected_close") == 0;
}

// --ports: the same per node, for the subscribers connected to it.
void add_node_figures(scenario_result& r, const options& o, const server_set& servers,
                      const worker_totals& t, const publish_log& log,
                      const std::vector<int>& joined) {
  if (!o.cluster())
    return;
  int64_t published = int64_t(log.at.size()) - log.errors;
  result_json per;
  for (int k = 0; k < o.nodes(); ++k) {
    const auto& count = t.node_fan_count[size_t(k)];
    const auto& last = t.node_fan_last[size_t(k)];
    histogram per_broadcast;
    for (size_t seq = 0; seq < log.at.size() && seq < count.size(); ++seq)
      if (count[seq] > 0)
        per_broadcast.record(last[seq] - log.at[seq]);
    std::string at = "@" + std::to_string(k);
    int64_t expected = published * (size_t(k) < joined.size() ? joined[size_t(k)] : 0);
    int64_t delivered = t.counter("deliveries" + at);
    result_json n;
    n["pid"] = servers.pids[size_t(k)];
    n["subscribers"] = o.node_connections(k);
    n["joined"] = size_t(k) < joined.size() ? joined[size_t(k)] : 0;
    n["deliveries_expected"] = expected;
    n["deliveries"] = delivered;
    n["lost"] = expected - delivered;
    n["broadcast_latency"] = latency_json(per_broadcast); // publish -> last delivery here
    n["delivery_latency"] = latency_json(t.hist("delivery" + at));
    per[node_key(o, k)] = n;
  }
  r.json["per_node"] = per;
}

} // namespace

scenario_result run_fanout(const options& opts) {
  options o = opts;
  o.channels = 1;
  if (o.trigger == "shout")
    o.event = "shout";
  server_set servers = find_servers(o);
  scenario_result r;
  r.json = result_header(o, servers);
  r.json["subscribers"] = o.connections;
  r.json["broadcasts"] = o.broadcasts;
  r.json["trigger"] = o.trigger;
  r.json["payload_bytes"] = o.payload_bytes;
  worker_pool pool(o);
  bool ready = pool.wait_ready(o.setup_timeout_ms);
  int joined = pool.joined();
  std::vector<int> joined_per_node = pool.joined_per_node();
  r.json["joined"] = joined;
  pool.command('g');
  publish_log log;
  http_client http(o.host, o.port, o.tls);
  ws_publisher pub(o);
  std::string error;
  if (ready && o.trigger == "shout" && !pub.open(error)) {
    r.json["error"] = error;
  } else if (ready) {
    if (o.trigger == "http" && o.rate > 0)
      log = publish_open_loop(o, pool, http);
    else
      log = publish_all(o, pool, o.trigger == "shout" ? shout_trigger(pub) : http_trigger(o, http));
    pool.wait_complete(o.drain_ms, true);
    collect_late_answers(o, http, log);
  }
  if (o.trigger == "shout")
    pub.close();
  worker_totals t = pool.stop(o.drain_ms + 10000);
  if (log.at.empty())
    log.start = log.end = now_ns();
  add_figures(r, t, log, joined);
  add_node_figures(r, o, servers, t, log, joined_per_node);
  add_longpoll_figures(o, r.json, t);
  r.ok = r.ok && ready && joined == o.connections;
  return r;
}

} // namespace bench
