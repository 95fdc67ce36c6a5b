#include "worker.hpp"

#include "clock.hpp"
#include "connection.hpp"
#include "histogram.hpp"
#include "longpoll_session.hpp"
#include "tls_client.hpp"
#include "ws_codec.hpp"
#include "ws_connection.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace bench {
namespace {

constexpr uint64_t cmd_slot = ~uint64_t(0);
constexpr int64_t close_grace_ns = ms_to_ns(3000);

enum class phase { setup, ready, running, draining, closing, done };

// Counters sent to the parent at the end; summed over workers there.
struct counters {
  int64_t connect_failed = 0, upgrade_failed = 0, join_ok = 0, join_failed = 0;
  int64_t rx = 0, tx = 0, hb_sent = 0, hb_ok = 0;
  int64_t pushes_sent = 0, replies_ok = 0, replies_error = 0;
  int64_t deliveries = 0, deliveries_unknown = 0;
  int64_t phx_close = 0, phx_error = 0;
  int64_t unexpected_close = 0, closed_clean = 0, closed_forced = 0;
  int64_t cycles_done = 0, cycles_failed = 0;
  // presence
  int64_t joins_sent = 0, presence_states = 0, state_entries = 0, presence_diffs = 0;
  int64_t diff_join_entries = 0, diff_leave_entries = 0, presence_bytes = 0;
  int64_t keys_seen = 0, keys_unknown = 0, list_keys = -1;
};

// With --ports: what happened on the connections to one node.
struct node_figures {
  int joined_conns = 0; // joined now, as joined_conns_
  int64_t deliveries = 0, replies_ok = 0, cycles_done = 0, cycles_failed = 0;
  histogram delivery, rtt, cycle;
  std::vector<uint32_t> fan_count; // fanout: per broadcast seq
  std::vector<int64_t> fan_last;
};

class worker final : public connection_handler {
public:
  worker(const options& o, const worker_share& s, int cmd_fd, int report_fd);
  int run();

  void on_open(connection& c) override;
  void on_message(connection& c, const phx_msg& m) override;
  void on_closed(connection& c, close_cause why) override;

private:
  bool churn() const { return o_.scenario == "churn"; }
  bool presence() const { return o_.scenario == "presence"; }
  // presence, except its baseline run (a topic without presence)
  bool tracks_presence() const { return presence() && !o_.presence_baseline; }
  bool longpoll() const { return o_.transport == "longpoll"; }
  std::unique_ptr<connection> make_connection(uint32_t slot);
  std::unique_ptr<connection> make_transport(uint32_t slot); // WebSocket or long-poll
  void start_connection(uint32_t slot);
  void tick(int64_t now);
  void setup_tick();
  void heartbeat_tick(int64_t now);
  void push_tick(int64_t now);
  void churn_tick(int64_t now);
  void join_tick(int64_t now);
  void on_presence_join_reply(connection& c, bool ok, int64_t now);
  void on_presence(connection& c, const phx_msg& m, int64_t now);
  void see_key(connection& c, std::string_view key, bool from_diff, int64_t now);
  void check_presence_complete();
  void send_list_request();
  void progress_tick(int64_t now);
  void stop_tick(int64_t now);
  void read_commands(int64_t now);
  void go(int64_t now);
  void settle(connection& c);
  void send_push(connection& c);
  void on_reply(connection& c, const phx_msg& m, int64_t now);
  void on_join_reply(connection& c, bool ok, int64_t now);
  void on_push_reply(connection& c, const phx_msg& m, bool ok, int64_t now);
  void on_delivery(connection& c, const phx_msg& m, int64_t now);
  // The node (index into --ports) of the connection in `slot`; 0 without --ports.
  int node_of(uint32_t slot) const { return o_.node_of(share_.first + long(slot)); }
  node_figures* node(const connection& c) {
    return nodes_.empty() ? nullptr : &nodes_[size_t(node_of(c.slot()))];
  }
  void send_line(const std::string& line);
  void final_report();
  void send(connection& c, const std::string& frame);
  int64_t outstanding() const;
  int64_t done_count() const;

  const options& o_;
  worker_share share_;
  int cmd_fd_, report_fd_;
  int epfd_;
  phase phase_ = phase::setup;
  // Per node (one without --ports); connections keep references to these,
  // so the vectors are filled once, before any connection is made.
  std::vector<sockaddr_in> servers_;
  std::vector<std::string> upgrades_;        // WebSocket
  std::vector<longpoll_target> lp_targets_;  // long-poll
  std::vector<node_figures> nodes_;          // --ports only
  std::vector<std::string> conn_upgrades_;   // presence: per connection (its user_id)
  longpoll_stats lp_;
  std::vector<std::string> topics_, join_refs_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<uint32_t> free_slots_; // churn: slots ready for the next cycle
  counters n_;
  int live_ = 0, joined_conns_ = 0, settled_ = 0, next_start_ = 0, handshaking_ = 0;
  int64_t start_ns_, go_ns_ = 0, deadline_ = 0, next_progress_ = 0;
  int64_t hb_ticks_ = 0, pushes_due_base_ = 0, cycles_started_ = 0;
  uint64_t ref_ = 0;
  size_t rr_ = 0; // round-robin cursor over connections
  bool complete_sent_ = false;
  std::string event_;
  histogram setup_hist_, rtt_hist_, delivery_hist_, join_hist_, cycle_hist_;
  std::vector<uint32_t> fan_count_; // presence: per client (global index), own clients that know it
  std::vector<int64_t> fan_last_;   // presence: when the last of them learnt of it
  // presence: which clients (global index) each connection knows, one bit
  // each (words_ per connection), how many, and when its join reply came.
  size_t words_ = 0;
  std::vector<uint64_t> seen_bits_;
  std::vector<uint32_t> seen_n_;
  std::vector<int64_t> join_at_;
  int next_join_ = 0, clients_complete_ = 0;
  int64_t last_presence_ns_ = 0, last_join_sent_ns_ = 0;
  bool list_pending_ = false;
};

worker::worker(const options& o, const worker_share& s, int cmd_fd, int report_fd)
    : o_(o), share_(s), cmd_fd_(cmd_fd), report_fd_(report_fd), epfd_(epoll_create1(EPOLL_CLOEXEC)),
      start_ns_(now_ns()), event_(o.trigger == "shout" ? "shout" : o.event) {
  for (int k = 0; k < o.nodes(); ++k) {
    int port = o.node_port(k);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(uint16_t(port));
    inet_pton(AF_INET, o.host.c_str(), &server.sin_addr);
    servers_.push_back(server);
    upgrades_.push_back(ws_upgrade_request(o.host, port, o.path));
    lp_targets_.push_back({o.host + ":" + std::to_string(port), longpoll_path(o.path)});
  }
  if (o.cluster())
    nodes_.resize(size_t(o.nodes()));
  for (int k = 0; k < o.channels; ++k) {
    topics_.push_back(o.channels == 1 ? o.topic : o.topic + ":" + std::to_string(k));
    join_refs_.push_back("j" + std::to_string(k));
  }
  if (presence()) {
    // Each client its own user_id (u<global index>), in the socket's query.
    std::string sep = o.path.find('?') == std::string::npos ? "?" : "&";
    conn_upgrades_.reserve(size_t(s.count)); // connections keep references
    for (int i = 0; i < s.count; ++i) {
      int port = o.node_port(node_of(uint32_t(i)));
      conn_upgrades_.push_back(ws_upgrade_request(
          o.host, port, o.path + sep + "user_id=u" + std::to_string(s.first + i)));
    }
    words_ = (size_t(s.total) + 63) / 64;
    seen_bits_.assign(words_ * size_t(s.count), 0);
    seen_n_.assign(size_t(s.count), 0);
    join_at_.assign(size_t(s.count), 0);
    fan_count_.assign(size_t(s.total), 0);
    fan_last_.assign(size_t(s.total), 0);
  }
  for (int i = 0; i < s.count; ++i)
    conns_.push_back(make_connection(uint32_t(i)));
  if (o.scenario == "fanout") {
    fan_count_.assign(size_t(o.broadcasts), 0);
    fan_last_.assign(size_t(o.broadcasts), 0);
    for (auto& n : nodes_) {
      n.fan_count.assign(size_t(o.broadcasts), 0);
      n.fan_last.assign(size_t(o.broadcasts), 0);
    }
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = cmd_slot;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, cmd_fd_, &ev);
  if (churn()) {
    phase_ = phase::ready; // churn opens nothing until 'g'
    send_line("R 0 0");
  }
}

std::unique_ptr<connection> worker::make_connection(uint32_t slot) {
  std::unique_ptr<connection> c = make_transport(slot);
  if (o_.tls)
    c->use_tls(tls_server_name(o_.host));
  return c;
}

std::unique_ptr<connection> worker::make_transport(uint32_t slot) {
  size_t k = size_t(node_of(slot));
  if (longpoll())
    return std::make_unique<longpoll_session>(epfd_, slot, *this, lp_targets_[k], lp_);
  if (presence())
    return std::make_unique<ws_connection>(epfd_, slot, *this, conn_upgrades_[slot]);
  return std::make_unique<ws_connection>(epfd_, slot, *this, upgrades_[k]);
}

void worker::send_line(const std::string& line) {
  std::string s = line + "\n";
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(report_fd_, s.data() + off, s.size() - off);
    if (n > 0)
      off += size_t(n);
    else if (n < 0 && errno != EINTR)
      return; // parent gone: PDEATHSIG ends us shortly
  }
}

void worker::send(connection& c, const std::string& frame) {
  c.send_text(frame);
  ++n_.tx;
}

void worker::start_connection(uint32_t slot) {
  // Spread connections over 127.0.0.2, .3, ... by global index.
  long global = share_.first + long(churn() ? cycles_started_ : long(slot));
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl((127u << 24) | uint32_t(2 + global % o_.source_addresses));
  connection& c = *conns_[slot];
  c.t0 = now_ns();
  c.tag = 0;
  ++live_;
  if (!churn())
    ++handshaking_;
  c.start(servers_[size_t(node_of(slot))], src);
}

void worker::on_open(connection& c) {
  if (presence()) { // connected is ready; the joins come at --rate after 'g'
    ++joined_conns_;
    if (node_figures* n = node(c))
      ++n->joined_conns;
    return settle(c);
  }
  for (size_t k = 0; k < topics_.size(); ++k)
    send(c, phx_join_frame(topics_[k], join_refs_[k]));
  c.pending = uint32_t(topics_.size());
}

void worker::on_message(connection& c, const phx_msg& m) {
  ++n_.rx;
  int64_t now = now_ns();
  if (m.event == "phx_reply")
    on_reply(c, m, now);
  else if (m.event == event_)
    on_delivery(c, m, now);
  else if (presence() && (m.event == "presence_diff" || m.event == "presence_state"))
    on_presence(c, m, now);
  else if (m.event == "phx_close")
    ++n_.phx_close;
  else if (m.event == "phx_error")
    ++n_.phx_error;
}

void worker::on_reply(connection& c, const phx_msg& m, int64_t now) {
  bool ok = phx_reply_ok(m);
  char kind = m.ref.empty() ? '?' : m.ref[0];
  switch (kind) {
  case ref_join: return on_join_reply(c, ok, now);
  case ref_push: return on_push_reply(c, m, ok, now);
  case ref_heartbeat: n_.hb_ok += ok; return;
  case ref_list:
    list_pending_ = false;
    n_.list_keys = ok ? int64_t(phx_presence_keys(m.payload, [](std::string_view) {})) : -1;
    send_line("L " + std::to_string(n_.list_keys));
    return;
  case ref_leave:
    c.tag = 2; // left: a clean close now completes the cycle
    c.close_gracefully();
    return;
  default: ++n_.replies_error;
  }
}

void worker::on_join_reply(connection& c, bool ok, int64_t now) {
  if (presence())
    return on_presence_join_reply(c, ok, now);
  ok ? ++n_.join_ok : ++n_.join_failed;
  if (ok)
    ++c.joined;
  if (c.pending > 0 && --c.pending > 0)
    return;
  if (churn()) {
    c.tag = 1;
    if (!ok)
      return c.close_gracefully();
    join_hist_.record(now - c.t0);
    send(c, phx_leave_frame(topics_[0], join_refs_[0], ++ref_));
    return;
  }
  setup_hist_.record(now - c.t0);
  if (c.joined == topics_.size()) {
    ++joined_conns_;
    if (node_figures* n = node(c))
      ++n->joined_conns;
  }
  settle(c);
}

// A connection is settled once all its joins were answered or it failed.
void worker::settle(connection& c) {
  if (c.tag == 1)
    return;
  c.tag = 1;
  --handshaking_;
  ++settled_;
}

void worker::on_push_reply(connection& c, const phx_msg& m, bool ok, int64_t now) {
  if (c.pending > 0)
    --c.pending;
  int64_t t = 0;
  if (ok && phx_find_int(m.payload, "\"t\"", t)) {
    ++n_.replies_ok;
    rtt_hist_.record(now - t);
    if (node_figures* n = node(c)) {
      ++n->replies_ok;
      n->rtt.record(now - t);
    }
  } else {
    ++n_.replies_error;
  }
  long answered = long(n_.replies_ok + n_.replies_error);
  if (share_.ping_quota > 0 && answered >= share_.ping_quota && !complete_sent_) {
    complete_sent_ = true;
    send_line("C");
  }
  // Closed loop (--rate 0): the reply triggers this connection's next push.
  if (phase_ == phase::running && o_.rate <= 0 &&
      (share_.ping_quota == 0 || n_.pushes_sent < share_.ping_quota))
    send_push(c);
}

void worker::on_delivery(connection& c, const phx_msg& m, int64_t now) {
  int64_t seq = -1, t = 0;
  if (!phx_find_int(m.payload, "\"s\"", seq) || !phx_find_int(m.payload, "\"t\"", t) || seq < 0 ||
      size_t(seq) >= fan_count_.size()) {
    ++n_.deliveries_unknown;
    return;
  }
  ++n_.deliveries;
  ++fan_count_[size_t(seq)];
  fan_last_[size_t(seq)] = now;
  delivery_hist_.record(now - t);
  if (node_figures* n = node(c)) {
    ++n->deliveries;
    ++n->fan_count[size_t(seq)];
    n->fan_last[size_t(seq)] = now;
    n->delivery.record(now - t);
  }
  if (!complete_sent_ && n_.deliveries >= int64_t(joined_conns_) * o_.broadcasts) {
    complete_sent_ = true;
    send_line("C");
  }
}

void worker::on_presence_join_reply(connection& c, bool ok, int64_t now) {
  ok ? ++n_.join_ok : ++n_.join_failed;
  if (c.pending > 0)
    --c.pending;
  if (ok) {
    ++c.joined;
    join_at_[c.slot()] = now;
    join_hist_.record(now - c.t0);
  }
  check_presence_complete();
}

// presence_state: {key: {"metas": [...]}}; presence_diff: {"joins": {...},
// "leaves": {...}}, either order. Keys are scanned, not parsed (see
// phx_presence_keys): every client reads about N^2/N = N entries, N^2 in all.
void worker::on_presence(connection& c, const phx_msg& m, int64_t now) {
  if (phase_ != phase::running)
    return; // the teardown's leaves, once stopping
  last_presence_ns_ = now;
  n_.presence_bytes += int64_t(m.payload.size());
  bool from_diff = m.event == "presence_diff";
  auto see = [this, &c, from_diff, now](std::string_view key) { see_key(c, key, from_diff, now); };
  if (!from_diff) {
    ++n_.presence_states;
    n_.state_entries += int64_t(phx_presence_keys(m.payload, see));
    return;
  }
  ++n_.presence_diffs;
  std::string_view p = m.payload;
  size_t joins = p.find("\"joins\":"), leaves = p.find("\"leaves\":");
  auto part = [&p](size_t from, size_t other) {
    if (from == std::string_view::npos)
      return std::string_view();
    return p.substr(from, other != std::string_view::npos && other > from ? other - from
                                                                          : std::string_view::npos);
  };
  n_.diff_join_entries += int64_t(phx_presence_keys(part(joins, leaves), see));
  n_.diff_leave_entries +=
      int64_t(phx_presence_keys(part(leaves, joins), [](std::string_view) {}));
}

// Marks client `key` (u<global index>) as known to connection c. The time
// counts (fan_last_) when a diff told c, or c's own state told it about
// itself: a client that joins later learns of earlier ones from its state,
// at its own join, which says nothing about how fast their joins spread.
void worker::see_key(connection& c, std::string_view key, bool from_diff, int64_t now) {
  uint64_t idx = 0;
  bool digits = key.size() >= 2 && key.size() <= 11 && key[0] == 'u';
  for (size_t i = 1; digits && i < key.size(); ++i) {
    digits = key[i] >= '0' && key[i] <= '9';
    idx = idx * 10 + uint64_t(key[i] - '0');
  }
  if (!digits || idx >= fan_count_.size()) {
    ++n_.keys_unknown;
    return;
  }
  uint64_t& word = seen_bits_[size_t(c.slot()) * words_ + idx / 64];
  uint64_t bit = uint64_t(1) << (idx % 64);
  if (word & bit)
    return; // a duplicate (its own join in a diff after the state, say)
  word |= bit;
  ++n_.keys_seen;
  ++fan_count_[idx];
  if (from_diff || idx == uint64_t(share_.first) + c.slot())
    fan_last_[idx] = std::max(fan_last_[idx], now);
  if (++seen_n_[c.slot()] == uint32_t(share_.total)) {
    ++clients_complete_;
    check_presence_complete();
  }
}

// Complete: every join sent and answered and (presence) each joined client
// knows every client.
void worker::check_presence_complete() {
  if (complete_sent_ || next_join_ < share_.count ||
      n_.join_ok + n_.join_failed < n_.joins_sent)
    return;
  if (tracks_presence() && clients_complete_ < n_.join_ok)
    return;
  complete_sent_ = true;
  send_line("C");
}

void worker::send_list_request() {
  if (!tracks_presence() || share_.index != 0)
    return;
  for (auto& c : conns_)
    if (c->state() == conn_state::open && c->joined > 0) {
      send(*c, "[\"" + join_refs_[0] + "\",\"q" + std::to_string(++ref_) + "\",\"" + topics_[0] +
                   "\",\"list\",{}]");
      list_pending_ = true;
      return;
    }
}

void worker::send_push(connection& c) {
  int64_t seq = ++ref_;
  std::string payload = timed_payload(now_ns(), seq, o_.payload_bytes);
  send(c, phx_push_frame(topics_[0], join_refs_[0], "ping", uint64_t(seq), payload));
  ++n_.pushes_sent;
  ++c.pending;
}

void worker::on_closed(connection& c, close_cause why) {
  --live_;
  if (why == close_cause::connect_failed)
    ++n_.connect_failed;
  else if (why == close_cause::upgrade_failed)
    ++n_.upgrade_failed;
  if (churn()) {
    node_figures* n = node(c);
    if (c.tag == 2 && (why == close_cause::local || why == close_cause::server_close)) {
      ++n_.cycles_done;
      cycle_hist_.record(now_ns() - c.t0);
      if (n) {
        ++n->cycles_done;
        n->cycle.record(now_ns() - c.t0);
      }
    } else {
      ++n_.cycles_failed;
      if (n)
        ++n->cycles_failed;
    }
    free_slots_.push_back(c.slot()); // restarted from tick(), never from here
    return;
  }
  if (phase_ == phase::closing && (why == close_cause::local || why == close_cause::server_close)) {
    ++n_.closed_clean;
    return;
  }
  if (why != close_cause::connect_failed && why != close_cause::upgrade_failed)
    ++n_.unexpected_close;
  if (presence()) {
    if (c.pending > 0) { // its join will never be answered
      c.pending = 0;
      ++n_.join_failed;
      check_presence_complete();
    }
    if (c.tag != 1) {
      settle(c);
    } else {
      --joined_conns_;
      if (node_figures* n = node(c))
        --n->joined_conns;
    }
    return;
  }
  if (c.tag != 1) {
    settle(c);
  } else if (c.joined == topics_.size()) {
    --joined_conns_;
    if (node_figures* n = node(c))
      --n->joined_conns;
  }
}

// The scenario's unit of work done, for progress: cycles, replies or deliveries.
int64_t worker::done_count() const {
  if (churn())
    return n_.cycles_done;
  if (presence())
    return n_.join_ok + n_.keys_seen;
  return o_.scenario == "rtt" ? n_.replies_ok : n_.deliveries;
}

int64_t worker::outstanding() const {
  if (churn())
    return live_;
  // Heartbeats in flight count too: a clean stop answers every request. Not
  // over long-poll: there a heartbeat waits for the poll cycle (up to a window).
  int64_t heartbeats = longpoll() ? 0 : n_.hb_sent - n_.hb_ok;
  return n_.pushes_sent - n_.replies_ok - n_.replies_error + heartbeats + (list_pending_ ? 1 : 0);
}

void worker::setup_tick() {
  while (next_start_ < share_.count && handshaking_ < o_.connect_concurrency)
    start_connection(uint32_t(next_start_++));
  if (phase_ == phase::setup && settled_ >= share_.count) {
    phase_ = phase::ready;
    std::string line = "R " + std::to_string(joined_conns_) + " " +
                       std::to_string(share_.count - joined_conns_);
    for (auto& n : nodes_) // --ports: joined per node
      line += " " + std::to_string(n.joined_conns);
    send_line(line);
  }
}

void worker::heartbeat_tick(int64_t now) {
  // Heartbeats spread evenly: connection i beats at i/count of each interval.
  if (churn() || conns_.empty())
    return;
  int64_t due = int64_t(double(now - start_ns_) * double(conns_.size()) /
                        double(ms_to_ns(o_.heartbeat_ms)));
  for (; hb_ticks_ < due; ++hb_ticks_) {
    connection& c = *conns_[size_t(hb_ticks_) % conns_.size()];
    if (c.state() == conn_state::open && hb_ticks_ >= int64_t(conns_.size())) {
      send(c, phx_heartbeat_frame(uint64_t(++ref_)));
      ++n_.hb_sent;
    }
  }
}

void worker::push_tick(int64_t now) {
  if (o_.scenario != "rtt" || phase_ != phase::running || o_.rate <= 0 || conns_.empty())
    return;
  int64_t due = int64_t(double(now - go_ns_) * share_.rate / 1e9);
  if (share_.ping_quota > 0 && due > share_.ping_quota)
    due = share_.ping_quota;
  while (n_.pushes_sent < due) {
    size_t tried = 0;
    while (tried++ < conns_.size() && conns_[rr_ % conns_.size()]->state() != conn_state::open)
      ++rr_;
    if (tried > conns_.size())
      return; // nothing open
    send_push(*conns_[rr_++ % conns_.size()]);
  }
}

void worker::churn_tick(int64_t now) {
  if (!churn() || phase_ != phase::running)
    return;
  int64_t due = o_.rate > 0 ? int64_t(double(now - go_ns_) * share_.rate / 1e9) + 1 : INT64_MAX;
  while (!free_slots_.empty() && cycles_started_ < due) {
    uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    start_connection(slot);
    ++cycles_started_;
  }
}

// presence: joins at --rate over all clients (this worker's share of it),
// in slot order; with --rate 0 all at once.
void worker::join_tick(int64_t now) {
  if (!presence() || phase_ != phase::running || next_join_ >= share_.count)
    return;
  int64_t due = share_.rate > 0 ? int64_t(double(now - go_ns_) * share_.rate / 1e9) + 1
                                : int64_t(share_.count);
  while (next_join_ < share_.count && next_join_ < due) {
    connection& c = *conns_[size_t(next_join_++)];
    if (c.state() != conn_state::open)
      continue; // failed to connect: counted in connect_failed
    c.t0 = now;
    c.pending = 1;
    send(c, phx_join_frame(topics_[0], join_refs_[0]));
    ++n_.joins_sent;
    last_join_sent_ns_ = now;
  }
  check_presence_complete();
}

void worker::progress_tick(int64_t now) {
  if (now < next_progress_)
    return;
  next_progress_ = now + ms_to_ns(1000);
  int64_t errors = n_.connect_failed + n_.upgrade_failed + n_.join_failed + n_.unexpected_close +
                   n_.replies_error + n_.cycles_failed;
  int64_t joined = presence() ? n_.join_ok : joined_conns_; // presence: joins answered
  send_line("P " + std::to_string(live_) + " " + std::to_string(joined) + " " +
            std::to_string(n_.rx) + " " + std::to_string(n_.tx) + " " + std::to_string(errors) +
            " " + std::to_string(done_count()));
}

void worker::go(int64_t now) {
  if (phase_ != phase::ready && phase_ != phase::setup)
    return;
  phase_ = phase::running;
  go_ns_ = now;
  if (churn()) {
    for (size_t i = conns_.size(); i-- > 0;)
      free_slots_.push_back(uint32_t(i));
  } else if (o_.scenario == "rtt" && o_.rate <= 0) {
    for (auto& c : conns_)
      if (c->state() == conn_state::open &&
          (share_.ping_quota == 0 || n_.pushes_sent < share_.ping_quota))
        send_push(*c);
  }
}

void worker::read_commands(int64_t now) {
  char buf[64];
  ssize_t n = ::read(cmd_fd_, buf, sizeof buf);
  if (n == 0) { // parent closed the pipe: stop at once
    buf[0] = 's';
    n = 1;
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == 'g')
      go(now);
    else if (buf[i] == 'q')
      send_list_request();
    else if (buf[i] == 's' && phase_ < phase::draining) {
      phase_ = phase::draining;
      deadline_ = now + ms_to_ns(o_.drain_ms);
    }
  }
}

void worker::stop_tick(int64_t now) {
  if (phase_ == phase::draining && (outstanding() <= 0 || now >= deadline_)) {
    phase_ = phase::closing;
    deadline_ = now + close_grace_ns;
    for (auto& c : conns_)
      c->close_gracefully();
  }
  if (phase_ == phase::closing && (live_ <= 0 || now >= deadline_)) {
    for (auto& c : conns_)
      if (c->state() != conn_state::closed && c->state() != conn_state::idle) {
        ++n_.closed_forced;
        c->abort();
      }
    final_report();
    phase_ = phase::done;
  }
}

void worker::tick(int64_t now) {
  if (phase_ <= phase::ready && !churn())
    setup_tick();
  heartbeat_tick(now);
  push_tick(now);
  churn_tick(now);
  join_tick(now);
  progress_tick(now);
  stop_tick(now);
}

void worker::final_report() {
  const std::pair<const char*, int64_t> all[] = {
      {"connect_failed", n_.connect_failed}, {"upgrade_failed", n_.upgrade_failed},
      {"join_ok", n_.join_ok}, {"join_failed", n_.join_failed}, {"frames_rx", n_.rx},
      {"frames_tx", n_.tx}, {"heartbeats_sent", n_.hb_sent}, {"heartbeats_ok", n_.hb_ok},
      {"pushes_sent", n_.pushes_sent}, {"replies_ok", n_.replies_ok},
      {"replies_error", n_.replies_error}, {"deliveries", n_.deliveries},
      {"deliveries_unknown", n_.deliveries_unknown}, {"phx_close", n_.phx_close},
      {"phx_error", n_.phx_error}, {"unexpected_close", n_.unexpected_close},
      {"closed_clean", n_.closed_clean}, {"closed_forced", n_.closed_forced},
      {"cycles_done", n_.cycles_done}, {"cycles_failed", n_.cycles_failed},
      {"cycles_started", cycles_started_}};
  const std::pair<const char*, int64_t> presence_counters[] = {
      {"joins_sent", n_.joins_sent}, {"presence_states", n_.presence_states},
      {"state_entries", n_.state_entries}, {"presence_diffs", n_.presence_diffs},
      {"diff_join_entries", n_.diff_join_entries},
      {"diff_leave_entries", n_.diff_leave_entries}, {"presence_bytes", n_.presence_bytes},
      {"keys_seen", n_.keys_seen}, {"keys_unknown", n_.keys_unknown},
      {"clients_complete", clients_complete_}, {"last_presence_max_ns", last_presence_ns_},
      {"last_join_sent_max_ns", last_join_sent_ns_}};
  if (presence()) {
    for (auto& [name, v] : presence_counters)
      send_line(std::string("S ") + name + " " + std::to_string(v));
    for (size_t i = 0; i < join_at_.size(); ++i)
      if (join_at_[i] > 0)
        send_line("J " + std::to_string(share_.first + long(i)) + " " +
                  std::to_string(join_at_[i]));
    // A few of the clients a joined client never learnt of, for the report.
    int examples = 0;
    for (size_t i = 0; i < join_at_.size() && examples < 10; ++i)
      for (size_t k = 0; join_at_[i] > 0 && seen_n_[i] < uint32_t(share_.total) &&
                         k < size_t(share_.total) && examples < 10;
           ++k)
        if (!(seen_bits_[i * words_ + k / 64] & (uint64_t(1) << (k % 64)))) {
          send_line("X " + std::to_string(share_.first + long(i)) + " " + std::to_string(k));
          ++examples;
        }
  }
  for (auto& [name, v] : all)
    send_line(std::string("S ") + name + " " + std::to_string(v));
  const std::pair<const char*, int64_t> lp[] = {
      {"lp_polls", lp_.polls}, {"lp_polls_messages", lp_.polls_messages},
      {"lp_polls_empty", lp_.polls_empty}, {"lp_messages", lp_.messages},
      {"lp_posts", lp_.posts}, {"lp_posts_refused", lp_.posts_refused}, {"lp_gone", lp_.gone}};
  if (longpoll())
    for (auto& [name, v] : lp)
      send_line(std::string("S ") + name + " " + std::to_string(v));
  const std::pair<const char*, const histogram*> hists[] = {
      {"setup", &setup_hist_}, {"rtt", &rtt_hist_}, {"delivery", &delivery_hist_},
      {"join", &join_hist_}, {"cycle", &cycle_hist_}};
  for (auto& [name, h] : hists)
    if (h->count())
      send_line(std::string("H ") + name + " " + h->serialize());
  for (size_t s = 0; s < fan_count_.size(); ++s)
    if (fan_count_[s])
      send_line("F " + std::to_string(s) + " " + std::to_string(fan_count_[s]) + " " +
                std::to_string(fan_last_[s]));
  for (size_t k = 0; k < nodes_.size(); ++k) { // --ports: the same per node, as name@k
    const node_figures& n = nodes_[k];
    std::string at = "@" + std::to_string(k);
    const std::pair<const char*, int64_t> node_counters[] = {
        {"deliveries", n.deliveries}, {"replies_ok", n.replies_ok},
        {"cycles_done", n.cycles_done}, {"cycles_failed", n.cycles_failed}};
    for (auto& [name, v] : node_counters)
      send_line(std::string("S ") + name + at + " " + std::to_string(v));
    const std::pair<const char*, const histogram*> node_hists[] = {
        {"delivery", &n.delivery}, {"rtt", &n.rtt}, {"cycle", &n.cycle}};
    for (auto& [name, h] : node_hists)
      if (h->count())
        send_line(std::string("H ") + name + at + " " + h->serialize());
    for (size_t s = 0; s < n.fan_count.size(); ++s)
      if (n.fan_count[s])
        send_line("G " + std::to_string(k) + " " + std::to_string(s) + " " +
                  std::to_string(n.fan_count[s]) + " " + std::to_string(n.fan_last[s]));
  }
  send_line("D");
}

int worker::run() {
  std::vector<epoll_event> events(1024);
  while (phase_ != phase::done) {
    bool busy = phase_ == phase::running && (o_.rate > 0 || churn() || presence());
    int n = epoll_wait(epfd_, events.data(), int(events.size()), busy ? 1 : 20);
    int64_t now = now_ns();
    for (int i = 0; i < n; ++i) {
      uint64_t slot = events[size_t(i)].data.u64;
      if (slot == cmd_slot)
        read_commands(now);
      else
        conns_[size_t(slot)]->on_event(events[size_t(i)].events);
    }
    tick(now_ns());
  }
  return 0;
}

} // namespace

int worker_main(const options& o, const worker_share& share, int cmd_fd, int report_fd) {
  worker w(o, share, cmd_fd, report_fd);
  return w.run();
}

} // namespace bench
