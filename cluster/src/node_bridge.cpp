#include "node_bridge.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/mailbox_element.hpp>

#include "cluster_messages.hpp"
#include "peer_auth.hpp"
#include "peer_link.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/atoms.hpp"

namespace phx::detail {

namespace {

using namespace std::chrono_literals;
using clock = peer_link::clock;

constexpr auto first_backoff = 200ms;
constexpr auto max_dial_backoff = 2000ms; // a configured peer that is down: cheap to try
constexpr auto max_probe_backoff = 30000ms; // a peer that went silent: one small message
constexpr std::size_t max_pending_handshakes = 64;
constexpr std::size_t max_name_size = 256;
constexpr std::size_t nonce_size = 16;

std::chrono::milliseconds twice(std::chrono::milliseconds d, std::chrono::milliseconds cap) {
  return std::min(std::max(d * 2, std::chrono::milliseconds{first_backoff}), cap);
}

// A refusal's words travel as the error's context; anything else says what it is.
std::string reason_of(const caf::error& err, std::chrono::milliseconds timeout) {
  if (err == caf::sec::request_timeout)
    return "no answer within " + std::to_string(timeout.count()) + " ms";
  if (err == caf::sec::cannot_connect_to_node)
    return "cannot connect";
  if (err == caf::sec::incompatible_application_ids)
    return "it runs an incompatible build (not cluster protocol "
           + std::to_string(cluster_protocol_version) + ")";
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

caf::error refusal(std::string why) {
  return caf::make_error(caf::sec::runtime_error, std::move(why));
}

/// A handshake this node accepted and the dialer has not finished.
struct pending_handshake {
  caf::node_id node;
  std::string name;
  std::string dialer_nonce;
  std::string acceptor_nonce;
  clock::time_point started;
};

class node_bridge : public caf::event_based_actor {
public:
  node_bridge(caf::actor_config& cfg, caf::actor registry, cluster_config config,
              std::shared_ptr<peer_snapshot> snapshot)
    : caf::event_based_actor(cfg), registry_(std::move(registry)), config_(std::move(config)),
      name_(config_.name()), auth_(config_.secret), snapshot_(std::move(snapshot)) {
    heartbeat_every_ = std::max(config_.node_timeout / 5, std::chrono::milliseconds{20});
    ack_every_ = std::max<std::uint64_t>(config_.peer_queue_bytes / 8, 1);
    set_down_handler([this](caf::down_msg& msg) { on_down(msg); });
    set_default_handler([this](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      note_stranger("an unexpected message (a different build?)");
      return caf::sec::unexpected_message;
    });
  }

  caf::behavior make_behavior() override {
    middleman_ = system().middleman().actor_handle();
    for (auto& address : config_.peers) {
      peer_link p;
      p.name = address.text();
      p.dial = address;
      p.flow = peer_flow{config_.peer_queue_bytes};
      p.reason = "dialing";
      peers_.push_back(std::move(p));
      send(this, dial_atom_v, peers_.size() - 1);
    }
    schedule_tick();
    publish_snapshot();
    return {
      [this](forward_atom, const broadcast_ptr& msg) { forward(*msg); },
      [this](hello_atom, cluster_hello& hello) -> caf::result<std::string> {
        return on_hello(hello);
      },
      [this](auth_atom, const std::string& proof,
             std::uint64_t received) -> caf::result<std::string, std::uint64_t> {
        return on_auth(proof, received);
      },
      [this](node_broadcast_atom, node_broadcast& msg) { on_broadcast(msg); },
      [this](heartbeat_atom, std::uint64_t received) { on_heartbeat(received); },
      [this](dial_atom, std::size_t index) { dial(index); },
      [this](caf::tick_atom, clock::rep due) {
        if (current_sender() == this)
          tick(clock::time_point{clock::duration{due}});
      },
    };
  }

  void on_exit() override {
    for (auto& p : peers_)
      if (!p.retired && (p.broadcasts_sent || p.broadcasts_received))
        log(log_level::info, "cluster: peer ", p.name, ": sent ", p.broadcasts_sent,
            " broadcasts (", p.bytes_sent, " bytes), received ", p.broadcasts_received, " (",
            p.bytes_received, " bytes), ", p.broadcasts_dropped, " not sent, ", p.link_drops,
            " link drops");
    // Every strong handle goes now: the middleman actor runs on its own
    // thread and holds this bridge (it is published), so keeping its handle
    // would leave the actor system waiting for that thread forever.
    peers_.clear();
    pending_.clear();
    registry_ = nullptr;
    middleman_ = nullptr;
  }

private:
  // ---- broadcasts ---------------------------------------------------------

  // A broadcast published on this node: to every peer that is up, once.
  void forward(const broadcast& msg) {
    if (std::none_of(peers_.begin(), peers_.end(),
                     [](const peer_link& p) { return p.state == peer_state::up; })) {
      count_not_sent();
      return;
    }
    node_broadcast out;
    out.topic = msg.topic;
    out.event = msg.event;
    try {
      if (msg.payload.is_binary()) {
        auto& bytes = msg.payload.get_binary();
        out.payload.assign(bytes.begin(), bytes.end());
        out.binary = true;
      } else {
        out.payload = msg.payload.dump();
      }
    } catch (const std::exception& e) {
      log(log_level::warning, "cluster: broadcast ", msg.event, " on ", msg.topic,
          " not sent to peers: ", e.what());
      return;
    }
    auto size = wire_size(out);
    // One message, shared by every peer's send (each is serialized on its way).
    auto shared = caf::make_message(node_broadcast_atom_v, std::move(out));
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      auto& p = peers_[i];
      if (p.retired || !p.node)
        continue;
      if (p.state != peer_state::up) {
        ++p.broadcasts_dropped;
        ++p.dropped_while_down;
        continue;
      }
      if (p.flow.would_overflow(size)) {
        drop_link(i);
        ++p.broadcasts_dropped;
        ++p.dropped_while_down;
        continue;
      }
      p.handle->enqueue(caf::make_mailbox_element(ctrl(), caf::make_message_id(), {}, shared),
                        context());
      p.flow.sent(size);
      ++p.broadcasts_sent;
      p.bytes_sent += size;
    }
  }

  void count_not_sent() {
    for (auto& p : peers_)
      if (!p.retired && p.node) {
        ++p.broadcasts_dropped;
        ++p.dropped_while_down;
      }
  }

  // A peer's broadcast: for this node's subscribers only.
  void on_broadcast(node_broadcast& msg) {
    auto* p = authenticated_sender();
    if (!p)
      return;
    heard_from(*p);
    auto size = wire_size(msg);
    p->received_bytes += size;
    p->unacked_bytes += size;
    ++p->broadcasts_received;
    p->bytes_received += size;
    if (p->unacked_bytes >= ack_every_)
      acknowledge(*p);
    json payload;
    if (msg.binary) {
      payload = json::binary(std::vector<std::uint8_t>(msg.payload.begin(), msg.payload.end()));
    } else {
      try {
        payload = json::parse(msg.payload);
      } catch (const std::exception& e) {
        log(log_level::warning, "cluster: broadcast from peer ", p->name, " dropped: ", e.what());
        return;
      }
    }
    auto local = std::make_shared<const broadcast>(
      broadcast{std::move(msg.topic), std::move(msg.event), std::move(payload)});
    send(registry_, publish_atom_v, std::move(local), caf::actor_addr{}, local_atom_v);
  }

  void acknowledge(peer_link& p) {
    send(p.handle, heartbeat_atom_v, p.received_bytes);
    p.unacked_bytes = 0;
  }

  void on_heartbeat(std::uint64_t received) {
    auto* p = authenticated_sender();
    if (!p)
      return;
    p->flow.acknowledge(received);
    heard_from(*p);
  }

  // Any message from a peer: it is alive; one that went silent is back.
  void heard_from(peer_link& p) {
    p.seen();
    if (!p.silent)
      return;
    p.silent = false;
    if (p.state == peer_state::down && p.down_for_silence)
      bring_up(p, std::nullopt, "answering again");
  }

  // ---- handshakes ---------------------------------------------------------

  // Acceptor, step 1: a dialer says hello; challenge it.
  caf::result<std::string> on_hello(cluster_hello& hello) {
    auto sender = current_sender();
    if (!sender || sender->node() == node())
      return refusal("a node does not peer with itself");
    if (hello.version != cluster_protocol_version) {
      log_refusal(printable(hello.name), "it speaks cluster protocol "
                                           + std::to_string(hello.version) + ", this node "
                                           + std::to_string(cluster_protocol_version));
      return refusal("incompatible cluster protocol: " + std::to_string(cluster_protocol_version)
                     + " here, " + std::to_string(hello.version) + " there");
    }
    if (hello.name.empty() || hello.name.size() > max_name_size || hello.nonce.size() != nonce_size)
      return refusal("malformed hello");
    auto node = sender->node();
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](const pending_handshake& h) { return h.node == node; }),
                   pending_.end());
    if (pending_.size() >= max_pending_handshakes)
      pending_.erase(pending_.begin());
    pending_.push_back(pending_handshake{node, printable(hello.name), std::move(hello.nonce),
                                         peer_auth::nonce(), clock::now()});
    return pending_.back().acceptor_nonce;
  }

  // Acceptor, step 2: the dialer proves it knows the secret; prove it back.
  caf::result<std::string, std::uint64_t> on_auth(const std::string& proof,
                                                  std::uint64_t received_from_us) {
    auto sender = current_sender();
    auto h = sender ? std::find_if(pending_.begin(), pending_.end(),
                                   [&](const pending_handshake& x) { return x.node == sender->node(); })
                    : pending_.end();
    if (h == pending_.end())
      return refusal("no handshake under way");
    auto handshake = std::move(*h);
    pending_.erase(h);
    if (!peer_auth::same(auth_.dialer_proof(handshake.dialer_nonce, handshake.acceptor_nonce),
                         proof)) {
      log_refusal(handshake.name, "wrong cluster secret");
      return refusal("wrong cluster secret");
    }
    auto index = adopt(handshake.name, handshake.node, caf::actor_cast<caf::actor>(sender));
    auto& p = peers_[index];
    p.authenticated = true;
    bring_up(p, received_from_us, "");
    return {auth_.acceptor_proof(handshake.dialer_nonce, handshake.acceptor_nonce),
            p.received_bytes};
  }

  // Dialer: hello, then prove, then check the acceptor's proof.
  void start_handshake(std::size_t index) {
    auto& p = peers_[index];
    if (p.handshaking || !p.handle)
      return;
    p.handshaking = true;
    auto generation = p.generation;
    auto dialer_nonce = peer_auth::nonce();
    request(p.handle, config_.node_timeout, hello_atom_v,
            cluster_hello{cluster_protocol_version, name_, dialer_nonce})
      .then(
        [this, index, generation, dialer_nonce](std::string& acceptor_nonce) {
          auto* p = current(index, generation);
          if (!p)
            return;
          heard_from(*p);
          request(p->handle, config_.node_timeout, auth_atom_v,
                  auth_.dialer_proof(dialer_nonce, acceptor_nonce), p->received_bytes)
            .then(
              [this, index, generation, dialer_nonce,
               acceptor_nonce](std::string& proof, std::uint64_t received_from_us) {
                auto* p = current(index, generation);
                if (!p)
                  return;
                p->handshaking = false;
                if (!peer_auth::same(auth_.acceptor_proof(dialer_nonce, acceptor_nonce), proof)) {
                  log(log_level::warning, "cluster: refused peer ", p->name,
                      ": wrong cluster secret");
                  return handshake_failed(index, "wrong cluster secret");
                }
                p->authenticated = true;
                bring_up(*p, received_from_us, "");
              },
              [this, index, generation](caf::error& err) {
                if (current(index, generation))
                  handshake_failed(index, reason_of(err, config_.node_timeout), true);
              });
        },
        [this, index, generation](caf::error& err) {
          if (current(index, generation))
            handshake_failed(index, reason_of(err, config_.node_timeout), true);
        });
  }

  void handshake_failed(std::size_t index, const std::string& reason, bool said_by_peer = false) {
    auto& p = peers_[index];
    p.handshaking = false;
    if (said_by_peer && reason.find("cluster") != std::string::npos
        && p.logged_reason != reason)
      log(log_level::warning, "cluster: peer ", p.name, " refused this node: ", reason);
    p.logged_reason = reason;
    set_down(p, peer_state::down, reason);
    retry_later(index, max_probe_backoff);
  }

  // The record for a node that just proved itself: the one already holding
  // that node, else the one of that name (a configured peer, or the same
  // peer's previous run), else a new one.
  std::size_t adopt(const std::string& name, const caf::node_id& node, caf::actor handle) {
    auto i = find_node(node);
    if (i == npos)
      i = find_name(name);
    if (i == npos) {
      peer_link p;
      p.name = name;
      p.flow = peer_flow{config_.peer_queue_bytes};
      peers_.push_back(std::move(p));
      i = peers_.size() - 1;
    }
    connect(i, node, std::move(handle));
    return i;
  }

  // Points record `i` at `node` through `handle` (a new connection).
  void connect(std::size_t i, const caf::node_id& node, caf::actor handle) {
    auto& p = peers_[i];
    if (p.node != node) { // another process: its counts start over
      if (p.state == peer_state::up)
        set_down(p, peer_state::down, "replaced by a new run of the node");
      p.node = node;
      p.received_bytes = 0;
      p.unacked_bytes = 0;
      p.authenticated = false;
    }
    if (p.handle != handle) {
      if (p.handle)
        demonitor(p.handle);
      p.handle = std::move(handle);
      monitor(p.handle);
      ++p.generation;
      p.handshaking = false;
    }
  }

  void bring_up(peer_link& p, std::optional<std::uint64_t> received_from_us, const char* how) {
    p.seen();
    p.silent = false;
    p.backoff = std::chrono::milliseconds{0};
    p.logged_reason.clear();
    if (p.state == peer_state::up)
      return; // both ends dialed at once: the first handshake already did it
    if (received_from_us)
      p.flow.rebase(*received_from_us);
    p.state = peer_state::up;
    p.reason.clear();
    if (p.dropped_while_down > 0)
      log(log_level::warning, "cluster: peer ", p.name, " up", *how ? " (" : "", how,
          *how ? ")" : "", "; ", p.dropped_while_down,
          " broadcasts were not sent to it while it was down");
    else
      log(log_level::info, "cluster: peer ", p.name, " up", *how ? " (" : "", how, *how ? ")" : "");
    p.dropped_while_down = 0;
    publish_snapshot();
  }

  // ---- dialing and losses -------------------------------------------------

  // A configured peer: connect through the middleman (asynchronously), then
  // shake hands. Also the retry of a handshake on a live connection.
  void dial(std::size_t index) {
    auto& p = peers_[index];
    if (p.retired || p.state == peer_state::up || p.dialing || p.handshaking)
      return;
    if (p.handle)
      return start_handshake(index);
    if (!p.dial)
      return;
    p.dialing = true;
    request(middleman_, config_.node_timeout, caf::connect_atom_v, p.dial->host, p.dial->port)
      .then(
        [this, index](caf::node_id& node, caf::strong_actor_ptr& bridge, std::set<std::string>&) {
          auto& p = peers_[index];
          p.dialing = false;
          if (!bridge)
            return dial_failed(index, "no node bridge at that port");
          if (node == this->node()) {
            log(log_level::warning, "cluster: peer ", p.name, " is this node: not dialed again");
            p.dial.reset();
            return set_down(p, peer_state::down, "this node");
          }
          auto other = find_node(node);
          if (other != npos && other != index)
            merge(index, other);
          connect(index, node, caf::actor_cast<caf::actor>(bridge));
          if (p.authenticated && p.state == peer_state::up)
            return; // it dialed us first and is up already
          start_handshake(index);
        },
        [this, index](caf::error& err) {
          peers_[index].dialing = false;
          dial_failed(index, reason_of(err, config_.node_timeout));
        });
  }

  void dial_failed(std::size_t index, const std::string& reason) {
    auto& p = peers_[index];
    if (p.logged_reason != reason) {
      if (reason.find("incompatible") != std::string::npos)
        log(log_level::warning, "cluster: refused peer ", p.name, ": ", reason, ", retrying");
      else
        log(log_level::info, "cluster: peer ", p.name, " not reachable (", reason, "), retrying");
      p.logged_reason = reason;
    }
    set_down(p, p.state == peer_state::up ? peer_state::down : p.state, reason);
    retry_later(index, max_dial_backoff);
  }

  // Dialing `index` reached a node another record already holds (it dialed
  // us under another name): keep one record per node, the configured one.
  void merge(std::size_t index, std::size_t other) {
    auto& p = peers_[index];
    auto& o = peers_[other];
    auto name = std::move(p.name);
    auto dial = std::move(p.dial);
    p = std::move(o);
    p.name = std::move(name);
    p.dial = std::move(dial);
    o = peer_link{};
    o.retired = true;
  }

  void retry_later(std::size_t index, std::chrono::milliseconds cap) {
    auto& p = peers_[index];
    p.backoff = twice(p.backoff, cap);
    delayed_send(this, p.backoff, dial_atom_v, index);
  }

  void on_down(const caf::down_msg& msg) {
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      auto& p = peers_[i];
      if (!p.handle || p.handle.address() != msg.source)
        continue;
      p.handle = nullptr;
      p.authenticated = false;
      p.handshaking = false;
      ++p.generation;
      set_down(p, peer_state::down, "connection lost");
      if (p.dial) {
        p.backoff = std::chrono::milliseconds{0};
        retry_later(i, max_dial_backoff);
      }
    }
  }

  // The link stays connected, but too much waits for this peer: stop
  // sending, and shake hands again behind what is queued, which rebases the
  // count on what it really received.
  void drop_link(std::size_t index) {
    auto& p = peers_[index];
    ++p.link_drops;
    log(log_level::warning, "cluster: peer ", p.name, ": ", p.flow.in_flight(),
        " broadcast bytes unacknowledged (limit ", p.flow.limit(),
        "): link dropped, establishing it again");
    set_down(p, peer_state::connecting, "link dropped: queue full");
    start_handshake(index);
  }

  void set_down(peer_link& p, peer_state state, const std::string& reason) {
    p.down_for_silence = false;
    if (p.state == peer_state::up)
      log(log_level::info, "cluster: peer ", p.name, " down (", reason, ")");
    p.state = state;
    p.reason = reason;
    publish_snapshot();
  }

  // ---- liveness -----------------------------------------------------------

  // The next tick carries the time it is due: that is when it enters the
  // mailbox (unless this process was stopped or starved), so every message
  // a peer sent before then has been handled when the tick is. Silence is
  // judged at that time, not when the tick is handled: a mailbox backed up
  // by traffic delays the verdict but neither fakes a silence nor forgives
  // a real one. A tick due while this process was stopped is judged at its
  // due time too, before the peers' buffered messages come in, so our own
  // stop never makes a peer look silent.
  void schedule_tick() {
    auto due = clock::now() + heartbeat_every_;
    delayed_send(this, heartbeat_every_, caf::tick_atom_v, due.time_since_epoch().count());
  }

  void tick(clock::time_point due) {
    auto now = clock::now();
    for (auto& p : peers_) {
      if (p.retired || !p.handle || !p.authenticated)
        continue;
      if (!p.silent && due - p.last_seen > config_.node_timeout) {
        p.silent = true;
        p.backoff = std::chrono::milliseconds{0};
        p.next_probe = now;
        if (p.state == peer_state::up) {
          set_down(p, peer_state::down,
                   "silent for " + std::to_string(config_.node_timeout.count()) + " ms");
          p.down_for_silence = true;
        }
      }
      if (!p.silent) {
        acknowledge(p); // the heartbeat
      } else if (now >= p.next_probe) {
        // A silent peer gets one small probe, less and less often (nothing
        // piles up for a stopped process); whoever hears it answers with
        // heartbeats, which bring the link back.
        acknowledge(p);
        p.backoff = twice(p.backoff, max_probe_backoff);
        p.next_probe = now + p.backoff;
      }
    }
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](const pending_handshake& h) {
                                    return now - h.started > config_.node_timeout;
                                  }),
                   pending_.end());
    publish_snapshot();
    schedule_tick();
  }

  // ---- lookups ------------------------------------------------------------

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::size_t find_node(const caf::node_id& node) const {
    for (std::size_t i = 0; i < peers_.size(); ++i)
      if (!peers_[i].retired && peers_[i].node == node)
        return i;
    return npos;
  }

  std::size_t find_name(const std::string& name) const {
    for (std::size_t i = 0; i < peers_.size(); ++i)
      if (!peers_[i].retired && peers_[i].name == name)
        return i;
    return npos;
  }

  // The record `index`, unless its connection changed since `generation`.
  peer_link* current(std::size_t index, std::uint64_t generation) {
    auto& p = peers_[index];
    if (p.generation != generation || !p.handle) {
      p.handshaking = false;
      return nullptr;
    }
    return &p;
  }

  // The peer that sent the current message, if it proved itself.
  peer_link* authenticated_sender() {
    auto sender = current_sender();
    if (sender) {
      auto i = find_node(sender->node());
      if (i != npos && peers_[i].authenticated)
        return &peers_[i];
    }
    note_stranger("a message before the handshake");
    return nullptr;
  }

  // Something arrived from a node that has not proven itself: dropped,
  // logged once per node.
  void note_stranger(const char* what) {
    auto sender = current_sender();
    if (!sender || sender->node() == node())
      return;
    auto text = caf::to_string(sender->node());
    if (strangers_.size() < 64 && strangers_.insert(text).second)
      log(log_level::warning, "cluster: dropped ", what, " from node ", text);
  }

  // A refused peer retries: its first refusal is logged, then at most one
  // line a minute, with the count.
  void log_refusal(const std::string& name, const std::string& why) {
    auto now = clock::now();
    auto i = refused_.find(name);
    if (i == refused_.end()) {
      if (refused_.size() >= 64)
        refused_.clear();
      refused_.emplace(name, refused_peer{now, 0});
      log(log_level::warning, "cluster: refused peer ", name, ": ", why);
      return;
    }
    ++i->second.unlogged;
    if (now - i->second.logged < std::chrono::minutes{1})
      return;
    log(log_level::warning, "cluster: refused peer ", name, ": ", why, " (",
        i->second.unlogged, " times since the last line)");
    i->second = refused_peer{now, 0};
  }

  static std::string printable(const std::string& name) {
    std::string out;
    for (char c : name.substr(0, max_name_size))
      out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out.empty() ? "(unnamed)" : out;
  }

  void publish_snapshot() {
    std::vector<peer_info> out;
    for (auto& p : peers_)
      if (!p.retired)
        out.push_back(p.info());
    snapshot_->store(std::move(out));
  }

  caf::actor registry_;
  cluster_config config_;
  std::string name_;
  peer_auth auth_;
  std::shared_ptr<peer_snapshot> snapshot_;
  caf::io::middleman_actor middleman_;
  std::vector<peer_link> peers_; // never shrinks: indices are kept by timers and answers
  std::vector<pending_handshake> pending_;
  std::set<std::string> strangers_;
  struct refused_peer {
    clock::time_point logged;
    std::uint64_t unlogged = 0;
  };
  std::map<std::string, refused_peer> refused_;
  std::chrono::milliseconds heartbeat_every_{1000};
  std::uint64_t ack_every_ = 1;
};

} // namespace

caf::actor spawn_node_bridge(caf::actor_system& sys, caf::actor registry, cluster_config config,
                             std::shared_ptr<peer_snapshot> snapshot) {
  return sys.spawn<node_bridge>(std::move(registry), std::move(config), std::move(snapshot));
}

} // namespace phx::detail
