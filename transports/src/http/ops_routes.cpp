#include "http/ops_routes.hpp"

#include "phx/metrics.hpp"
#include "phx/protocol/json.hpp"
#include "server_state.hpp"

namespace phx::detail {

namespace {

std::size_t peers_up(const std::vector<peer_info>& peers) {
  std::size_t up = 0;
  for (auto& p : peers)
    if (p.dialed && p.state == peer_state::up)
      ++up;
  return up;
}

std::size_t peers_dialed(const std::vector<peer_info>& peers) {
  std::size_t n = 0;
  for (auto& p : peers)
    n += p.dialed ? 1 : 0;
  return n;
}

void write_connections(metrics::prometheus_writer& w, const metrics::node_metrics& m) {
  w.family("phx_connections", "gauge", "Open connections, by transport.")
    .sample(m.websocket_connections.value(), {{"transport", "websocket"}})
    .sample(m.longpoll_connections.value(), {{"transport", "longpoll"}});
  w.family("phx_connects_total", "counter", "Connections accepted, by transport.")
    .sample(m.websocket_connects.value(), {{"transport", "websocket"}})
    .sample(m.longpoll_connects.value(), {{"transport", "longpoll"}});
  w.family("phx_refused_connects_total", "counter", "Connections refused, by reason.")
    .sample(m.refused_connect.value(), {{"reason", "connect"}})
    .sample(m.refused_origin.value(), {{"reason", "origin"}})
    .sample(m.refused_vsn.value(), {{"reason", "vsn"}})
    .sample(m.refused_handshake.value(), {{"reason", "handshake"}})
    .sample(m.refused_limit.value(), {{"reason", "limit"}})
    .sample(m.refused_draining.value(), {{"reason", "draining"}})
    .sample(m.refused_tls.value(), {{"reason", "tls_handshake"}})
    .sample(m.refused_plain_http.value(), {{"reason", "plain_http"}});
  w.single("phx_accept_errors_total", "counter",
           "accept() failures (out of file descriptors, typically).", m.accept_errors.value());
}

void write_traffic(metrics::prometheus_writer& w, const metrics::node_metrics& m) {
  w.single("phx_frames_written_total", "counter", "Frames written to clients.",
           m.frames_written.value());
  w.single("phx_bytes_written_total", "counter", "Bytes written to clients.",
           m.bytes_written.value());
  w.single("phx_frames_read_total", "counter", "Frames read from clients.",
           m.frames_read.value());
  w.single("phx_bytes_read_total", "counter", "Bytes read from clients.", m.bytes_read.value());
  w.single("phx_slow_reader_closes_total", "counter",
           "Connections closed (1008) for not reading what was queued for them.",
           m.slow_reader_closes.value());
  w.single("phx_held_frame_closes_total", "counter",
           "Connections closed (1008) for too many frames held while a join ran.",
           m.held_frame_closes.value());
  w.single("phx_held_frames_dropped_total", "counter",
           "Frames held for a join that failed, dropped with it.", m.held_frames_dropped.value());
  w.single("phx_outbound_queued_bytes", "gauge",
           "Bytes queued for clients (wire size plus 64 per frame), every connection.",
           m.outbound_queued_bytes.value());
  w.single("phx_drain_closes_total", "counter", "Connections closed by a drain (1012).",
           m.drain_closes.value());
}

void write_channels(metrics::prometheus_writer& w, const metrics::node_metrics& m,
                    const supervision_counters* sup) {
  w.single("phx_channels", "gauge", "Joined channels.", m.channels.value());
  w.family("phx_joins_total", "counter", "Channel joins, by result.")
    .sample(m.joins_ok.value(), {{"result", "ok"}})
    .sample(m.joins_error.value(), {{"result", "error"}})
    .sample(m.joins_crash.value(), {{"result", "crash"}});
  w.single("phx_channel_crashes_total", "counter", "Joined channels whose handler threw.",
           m.channel_crashes.value());
  w.single("phx_channel_restarts_total", "counter", "Channels restarted by their supervisor.",
           sup ? static_cast<std::int64_t>(sup->restarts.load()) : 0);
  w.single("phx_channel_give_ups_total", "counter",
           "Channels their supervisor gave up on (the client got phx_error).",
           sup ? static_cast<std::int64_t>(sup->give_ups.load()) : 0);
  w.single("phx_broadcasts_total", "counter", "Broadcasts published to this node's subscribers.",
           m.broadcasts.value());
  w.single("phx_deliveries_total", "counter",
           "Broadcast deliveries to subscribers (fastlane frames and channel messages).",
           m.deliveries_fastlane.value() + m.deliveries_channel.value());
  w.family("phx_deliveries_by_path_total", "counter", "Broadcast deliveries, by path.")
    .sample(m.deliveries_fastlane.value(), {{"path", "fastlane"}})
    .sample(m.deliveries_channel.value(), {{"path", "channel"}});
}

void write_cluster(metrics::prometheus_writer& w, const std::vector<peer_info>& peers) {
  std::int64_t by_state[3] = {0, 0, 0};
  for (auto& p : peers)
    ++by_state[static_cast<int>(p.state)];
  auto& f = w.family("phx_cluster_peers", "gauge", "Cluster peers, by state.");
  for (auto state : {peer_state::connecting, peer_state::up, peer_state::down})
    f.sample(by_state[static_cast<int>(state)], {{"state", to_string(state)}});
  w.family("phx_cluster_bytes_sent_total", "counter", "Broadcast bytes sent to each peer.");
  for (auto& p : peers)
    w.sample(static_cast<std::int64_t>(p.bytes_sent), {{"peer", p.name}});
  w.family("phx_cluster_bytes_received_total", "counter",
           "Broadcast bytes received from each peer.");
  for (auto& p : peers)
    w.sample(static_cast<std::int64_t>(p.bytes_received), {{"peer", p.name}});
}

void write_process(metrics::prometheus_writer& w) {
  auto p = metrics::process_stats::read();
  w.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
           p.rss_bytes);
  w.single("process_open_fds", "gauge", "Open file descriptors.", p.open_files);
  w.single("process_max_fds", "gauge", "The open-files limit.", p.max_files);
  w.family("process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.")
    .sample_double(p.cpu_seconds);
}

http_response json_answer(unsigned status, const json& body) {
  return http_response::json_text(status, body.dump());
}

} // namespace

http_handler make_healthz() {
  return [](const http_request&) { return json_answer(200, json{{"status", "ok"}}); };
}

http_handler make_readyz(ops_view view) {
  return [view = std::move(view)](const http_request&) {
    auto& cfg = view.state->config;
    json reasons = json::array();
    if (!view.listening())
      reasons.push_back("not listening");
    if (view.state->draining.load())
      reasons.push_back("draining");
    auto peers = view.peers();
    auto up = peers_up(peers), dialed = peers_dialed(peers);
    if ((cfg.ready_peers == "all" && up < dialed) || (cfg.ready_peers == "one" && dialed > 0 && up == 0))
      reasons.push_back("cluster peers not up (--ready-peers " + cfg.ready_peers + ")");
    json body{{"status", reasons.empty() ? "ready" : "not ready"},
              {"draining", view.state->draining.load()},
              {"connections", view.state->connections.load()},
              {"peers", {{"configured", dialed}, {"up", up}}}};
    if (!reasons.empty())
      body["reasons"] = reasons;
    return json_answer(reasons.empty() ? 200 : 503, body);
  };
}

http_handler make_metrics(ops_view view, bool from_anywhere) {
  return [view = std::move(view), from_anywhere](const http_request& req) {
    if (!from_anywhere && !req.peer_is_loopback)
      return json_answer(403, json{{"error", "metrics are served to loopback clients only "
                                             "(--metrics-from any)"}});
    auto& m = metrics::node();
    metrics::prometheus_writer w;
    write_connections(w, m);
    write_traffic(w, m);
    write_channels(w, m, view.supervision.get());
    write_cluster(w, view.peers());
    write_process(w);
    return http_response{200, metrics::prometheus_writer::content_type, w.take(), {}};
  };
}

} // namespace phx::detail
