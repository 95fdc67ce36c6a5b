#include "phx/transports/endpoint.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "http/broadcast_api.hpp"
#include "io_flush.hpp"
#include "heap_trimmer.hpp"
#include "malloc_tuning.hpp"
#include "http/listener.hpp"
#include "http/ops_routes.hpp"
#include "phx/metrics.hpp"
#include "longpoll/longpoll_session.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/registry.hpp"
#include "server_state.hpp"
#include "websocket/websocket_session.hpp"

namespace phx {

namespace net = boost::asio;

namespace {

log_level parse_level(const std::string& name) {
  if (name == "debug") return log_level::debug;
  if (name == "warning") return log_level::warning;
  if (name == "error") return log_level::error;
  return log_level::info;
}

// CAF's work-stealing scheduler collapses when one broadcast wakes many idle
// actors; the sharing policy does not (see README, Performance).
caf::actor_system_config& configure(caf::actor_system_config& cfg, const endpoint_config& ep) {
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", static_cast<size_t>(ep.scheduler_threads));
  if (ep.cluster.enabled())
    cluster_node::configure(cfg);
  return cfg;
}

detail::origin_policy parse_origins(const std::string& spec) {
  std::string error;
  auto policy = detail::origin_policy::parse(spec, error);
  if (!policy)
    throw std::invalid_argument("bad check_origin \"" + spec + "\": " + error);
  return std::move(*policy);
}

std::string secret_of(const endpoint_config& cfg) {
  if (!cfg.secret_key_base.empty())
    return cfg.secret_key_base;
  log(log_level::warning, "no secret_key_base configured: generated one, so long-poll sessions "
                          "will not survive a restart or reach another node (--secret-key-base)");
  return detail::session_token::generate_secret();
}

std::string normalise_prefix(std::string path) {
  if (path.empty() || path.front() != '/')
    path.insert(path.begin(), '/');
  return path;
}

presence_config presence_config_of(const endpoint_config& ep) {
  auto cfg = ep.presence;
  if (cfg.replica_name == presence_config{}.replica_name && ep.cluster.enabled())
    cfg.replica_name = ep.cluster.name();
  return cfg;
}

} // namespace

struct endpoint::impl {
  explicit impl(endpoint_config cfg)
    : config(std::move(cfg)), system(configure(system_config, config)),
      pubsub(spawn_registry(system, detail::flush_on(ioc, config.io_threads))),
      presence(spawn_presence_tracker(system, pubsub, presence_config_of(config))),
      state(std::make_shared<detail::server_state>(config, system, pubsub,
                                                   parse_origins(config.check_origin),
                                                   secret_of(config))) {
  }

  endpoint_config config;
  // The io_context outlives the actor system: actors may still hold sessions
  // (their sinks) while the system winds down.
  net::io_context ioc;
  caf::actor_system_config system_config;
  caf::actor_system system;
  phx::pubsub pubsub;
  phx::presence presence;
  std::shared_ptr<detail::server_state> state;
  std::optional<cluster_node> cluster; // with a node port
  std::shared_ptr<detail::listener> listener;
  std::shared_ptr<detail::listener> metrics_listener; // --metrics-port
  // drain(): a second signal (or stop_drain) cuts it short.
  std::mutex drain_mtx;
  std::condition_variable drain_cv;
  bool drain_cut = false;
  // Keeps the I/O threads running while nothing is pending for a moment
  // (between a stopped listener and the last answers of stop()).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::optional<detail::heap_trimmer> trimmer; // while started
  std::atomic<bool> started{false};
};

endpoint::endpoint(endpoint_config cfg) {
  set_log_format(cfg.log_format == "json" ? log_format::json : log_format::text);
  set_log_handler(nullptr, parse_level(cfg.log_level));
  detail::set_malloc_mmap_threshold(cfg.malloc_mmap_threshold);
  impl_ = std::make_unique<impl>(std::move(cfg));
}

endpoint::~endpoint() {
  stop();
  // Drop the user's handlers and routes now: actors they hold (a counter,
  // a history keeper) must go before the actor system waits for every
  // actor, and pending I/O handlers keep the shared state alive until the
  // io_context goes, after the system.
  impl_->state->sockets.clear();
  impl_->state->routes.clear();
  impl_->cluster.reset();
  caf::anon_send_exit(impl_->presence.tracker(), caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->pubsub.registry(), caf::exit_reason::user_shutdown);
}

endpoint& endpoint::socket(std::string path, std::shared_ptr<socket_handler> handler,
                           transport_set transports) {
  path = normalise_prefix(std::move(path));
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  auto routes = std::make_shared<router>();
  handler->routes(*routes);
  impl_->state->sockets.push_back(
    detail::socket_mount{path, std::move(handler), std::move(routes), transports});
  return *this;
}

endpoint& endpoint::static_files(std::string prefix, std::string directory) {
  impl_->state->statics.push_back(
    detail::static_mount{normalise_prefix(std::move(prefix)), std::move(directory)});
  return *this;
}

endpoint& endpoint::route(std::string method, std::string path, http_handler handler) {
  impl_->state->routes.push_back(
    detail::http_route{std::move(method), normalise_prefix(std::move(path)), std::move(handler)});
  return *this;
}

endpoint& endpoint::broadcast_api(std::string path, bool loopback_only) {
  return route("POST", std::move(path),
               detail::make_broadcast_api(impl_->pubsub, loopback_only,
                                          impl_->config.broadcast_api_key,
                                          impl_->config.max_json_depth));
}

caf::error endpoint::broadcast(std::string topic, std::string event, json payload) {
  return impl_->pubsub.broadcast(std::move(topic), std::move(event), std::move(payload));
}

caf::error endpoint::local_broadcast(std::string topic, std::string event, json payload) {
  return impl_->pubsub.local_broadcast(std::move(topic), std::move(event), std::move(payload));
}

std::vector<peer_info> endpoint::cluster_peers() const {
  return impl_->cluster ? impl_->cluster->peers() : std::vector<peer_info>{};
}

const supervision_counters& endpoint::supervision() const noexcept {
  return *impl_->state->supervision;
}

const phx::presence& endpoint::presence() const noexcept {
  return impl_->presence;
}

const phx::pubsub& endpoint::pubsub() const noexcept {
  return impl_->pubsub;
}

caf::actor_system& endpoint::system() noexcept {
  return impl_->system;
}

const endpoint_config& endpoint::config() const noexcept {
  return impl_->config;
}

std::uint16_t endpoint::start() {
  auto& d = *impl_;
  if (d.started)
    return d.listener->port();
  boost::system::error_code ec;
  auto address = net::ip::make_address(d.config.host, ec);
  if (ec)
    throw std::runtime_error("bad listen address \"" + d.config.host + "\": " + ec.message());
  log_capacity(d.config);
  if (!d.config.tls_cert.empty() && !d.state->tls)
    d.state->tls = std::make_shared<detail::tls_context>(d.config.tls_cert, d.config.tls_key);
  // The node first: a node whose clients can connect is already in its cluster.
  if (d.config.cluster.enabled()) {
    if (!d.cluster)
      d.cluster.emplace(d.system, d.pubsub, d.config.cluster);
    d.cluster->start();
  }
  add_ops_routes(*d.state);
  d.listener = std::make_shared<detail::listener>(
    d.ioc, net::ip::tcp::endpoint{address, d.config.port}, d.state);
  d.listener->run();
  if (d.config.metrics_port != 0)
    start_metrics_listener();
  d.started = true;
  d.work.emplace(d.ioc.get_executor());
  for (unsigned i = 0; i < d.config.io_threads; ++i)
    d.threads.emplace_back([&d] { d.ioc.run(); });
  d.trimmer.emplace(d.config.malloc_trim_every);
  return d.listener->port();
}

void endpoint::log_capacity(const endpoint_config& cfg) {
  // A server of many connections needs descriptors: take what the hard
  // limit allows (systemd's LimitNOFILE, ulimit -Hn), and say what it gives.
  auto files = metrics::raise_open_files_limit();
  if (files < 0)
    return log(log_level::info, "open files: no limit");
  // A few descriptors go to the listener, the cluster, logs and files.
  auto capacity = files > 64 ? files - 64 : 0;
  log(log_level::info, "open files limit ", files, ": room for about ", capacity,
      " connections", cfg.max_connections > 0 ? " (--max-connections " : "",
      cfg.max_connections > 0 ? std::to_string(cfg.max_connections) + ")" : std::string{});
  if (cfg.max_connections > static_cast<std::size_t>(capacity))
    log(log_level::warning, "--max-connections ", cfg.max_connections,
        " is above what the open files limit allows (raise LimitNOFILE / ulimit -n)");
}

void endpoint::add_ops_routes(detail::server_state& state) {
  auto& d = *impl_;
  detail::ops_view view{d.state, [&d] { return d.started.load(); },
                        [this] { return cluster_peers(); }, d.state->supervision};
  // Before the app's routes: these paths are the endpoint's.
  std::vector<detail::http_route> ops{
    {"GET", "/healthz", detail::make_healthz()},
    {"GET", "/readyz", detail::make_readyz(view)},
    {"GET", "/metrics", detail::make_metrics(view, d.config.metrics_from == "any")}};
  state.routes.insert(state.routes.begin(), ops.begin(), ops.end());
}

void endpoint::start_metrics_listener() {
  auto& d = *impl_;
  boost::system::error_code ec;
  auto address = net::ip::make_address(d.config.metrics_host, ec);
  if (ec)
    throw std::runtime_error("bad metrics address \"" + d.config.metrics_host
                             + "\": " + ec.message());
  // A state of its own: the operations routes only, no sockets or files.
  auto ops_state = std::make_shared<detail::server_state>(
    d.config, d.system, d.pubsub, parse_origins(d.config.check_origin), secret_of(d.config));
  add_ops_routes(*ops_state);
  d.metrics_listener = std::make_shared<detail::listener>(
    d.ioc, net::ip::tcp::endpoint{address, d.config.metrics_port}, ops_state);
  d.metrics_listener->run();
  log(log_level::info, "metrics on http://", d.config.metrics_host, ":",
      d.metrics_listener->port(), "/metrics");
}

void endpoint::drain() {
  drain(impl_->config.drain_time);
}

void endpoint::drain(std::chrono::milliseconds over) {
  auto& d = *impl_;
  if (!d.started)
    return;
  d.state->draining = true; // new connections get 503, /readyz too
  auto sockets = d.state->live_sessions();
  auto polls = d.state->longpolls.all();
  auto total = sockets.size() + polls.size();
  log(log_level::info, "draining: closing ", total, " connections (1012) over ", over.count(),
      " ms");
  // Evenly spread batches, at most one every 10 ms: a tenth of the time
  // closes about a tenth of them, and the clients come back gradually.
  auto ticks = std::max<std::int64_t>(1, std::min<std::int64_t>(100, over.count() / 10));
  auto interval = over / ticks;
  std::size_t closed = 0;
  auto close_next = [&] {
    auto& m = metrics::node();
    if (closed < sockets.size())
      sockets[closed]->close(close_code::service_restart, "server draining");
    else // the next poll hears 410 and reconnects (elsewhere)
      polls[closed - sockets.size()]->abandon();
    m.drain_closes.add(1);
    ++closed;
  };
  auto deadline = std::chrono::steady_clock::now();
  for (std::int64_t i = 1; i <= ticks; ++i) {
    auto target = (total * static_cast<std::size_t>(i) + static_cast<std::size_t>(ticks) - 1)
                  / static_cast<std::size_t>(ticks);
    while (closed < target)
      close_next();
    if (total == 0)
      break; // nothing to wait for
    deadline += interval;
    std::unique_lock<std::mutex> lock{d.drain_mtx};
    if (d.drain_cv.wait_until(lock, deadline, [&d] { return d.drain_cut; }))
      break;
  }
  log(log_level::info, "drained: ", closed, " of ", total, " connections closed");
}

void endpoint::stop_drain() {
  auto& d = *impl_;
  {
    std::lock_guard<std::mutex> guard{d.drain_mtx};
    d.drain_cut = true;
  }
  d.drain_cv.notify_all();
}

void endpoint::stop() {
  auto& d = *impl_;
  if (!d.started)
    return;
  d.started = false;
  d.trimmer.reset();
  d.listener->stop();
  if (d.metrics_listener)
    d.metrics_listener->stop();
  // Tell every client to come back later (1012), give the closes a moment.
  for (auto& session : d.state->live_sessions())
    session->close(close_code::service_restart, "server shutting down");
  // Long-poll sessions end now: a waiting poll hears 410, which tells the
  // client to reconnect, and the channels terminate.
  for (auto& session : d.state->longpolls.all())
    session->abandon();
  for (int i = 0; i < 100 && (!d.state->live_sessions().empty()
                              || d.state->longpoll_answers_unwritten > 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.threads)
    t.join();
  d.threads.clear();
  // Sessions that did not finish their close, or began during stop() on a
  // connection still open: their actors must stop too.
  for (auto& session : d.state->live_sessions())
    session->abandon();
  for (auto& session : d.state->longpolls.all())
    session->abandon();
  if (d.cluster)
    d.cluster->stop();
}

std::string endpoint::reload_tls() {
  auto& tls = impl_->state->tls;
  if (!tls)
    return {};
  auto problem = tls->reload();
  if (problem.empty())
    log(log_level::info, "TLS certificate reloaded from ", tls->cert_file());
  else
    log(log_level::error, "TLS reload failed, keeping the current certificate: ", problem);
  return problem;
}

int endpoint::run() {
  auto& d = *impl_;
  net::io_context signals_ctx;
  net::signal_set signals{signals_ctx, SIGINT, SIGTERM};
  net::signal_set hangups{signals_ctx, SIGHUP};
  std::uint16_t port = 0;
  try {
    port = start();
  } catch (const std::exception& e) {
    log(log_level::error, e.what());
    return 1;
  }
  log(log_level::info, "listening on ", d.state->tls ? "https://" : "http://", d.config.host, ":",
      port, "/", d.state->tls ? " (TLS: " + d.config.tls_cert + ")" : std::string{});
  // SIGHUP: a renewed certificate, without a restart.
  std::function<void()> on_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec)
        return;
      if (d.state->tls)
        reload_tls();
      else
        log(log_level::info, "received SIGHUP: no TLS certificate to reload");
      on_hangup();
    });
  };
  on_hangup();
  // The first signal drains (see drain()), a second one cuts it short.
  std::thread drainer;
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec)
      return;
    log(log_level::info, "received signal ", signal, ", draining (a second signal stops at once)");
    signals.async_wait([this](const boost::system::error_code& second_ec, int second) {
      if (second_ec)
        return;
      log(log_level::info, "received signal ", second, ", stopping now");
      stop_drain();
    });
    drainer = std::thread([this, &signals_ctx, &hangups] {
      drain();
      boost::system::error_code ignored;
      hangups.cancel(ignored);
      signals_ctx.stop();
    });
  });
  signals_ctx.run();
  if (drainer.joinable())
    drainer.join();
  stop();
  return 0;
}

} // namespace phx
