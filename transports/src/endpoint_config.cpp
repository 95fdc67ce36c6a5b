#include "phx/transports/endpoint_config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "http/origin_policy.hpp"

namespace phx {

namespace {

struct option_spec {
  std::string name;
  std::string help;
  std::string default_text;
  std::function<bool(std::string_view)> set; // false: value not acceptable
  bool* flag = nullptr;                      // set: an option without a value
};

template <class Int>
std::function<bool(std::string_view)> integer_setter(Int& target, Int min_value) {
  return [&target, min_value](std::string_view text) {
    Int value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min_value)
      return false;
    target = value;
    return true;
  };
}

void print_usage(std::FILE* out, const char* program, const std::vector<option_spec>& specs) {
  std::fprintf(out, "usage: %s [options]\n\noptions (as --name VALUE or --name=VALUE):\n", program);
  for (auto& spec : specs) {
    if (spec.flag)
      std::fprintf(out, "  --%-22s %s\n", spec.name.c_str(), spec.help.c_str());
    else
      std::fprintf(out, "  --%-22s %s (default: %s)\n", (spec.name + " N").c_str(),
                   spec.help.c_str(), spec.default_text.c_str());
  }
  std::fprintf(out, "  --%-22s %s\n", "help", "print this and exit");
}

[[noreturn]] void fail(const char* program, const std::vector<option_spec>& specs,
                       const std::string& problem) {
  std::fprintf(stderr, "%s: %s\n\n", program, problem.c_str());
  print_usage(stderr, program, specs);
  std::exit(2);
}

} // namespace

endpoint_config endpoint_config::from_args(int argc, char** argv,
                                           const std::vector<cli_option>& extra) {
  endpoint_config cfg;
  std::size_t idle_ms = static_cast<std::size_t>(cfg.idle_timeout.count());
  std::size_t request_ms = static_cast<std::size_t>(cfg.request_timeout.count());
  std::size_t window_ms = static_cast<std::size_t>(cfg.longpoll_window.count());
  std::size_t node_timeout_ms = static_cast<std::size_t>(cfg.cluster.node_timeout.count());
  std::size_t presence_broadcast_ms = static_cast<std::size_t>(cfg.presence.broadcast_every.count());
  std::size_t presence_down_ms = static_cast<std::size_t>(cfg.presence.down_after.count());
  std::size_t presence_permdown_ms = static_cast<std::size_t>(cfg.presence.permdown_after.count());
  std::size_t presence_diff_ms = static_cast<std::size_t>(cfg.presence.diff_every.count());
  if (const char* secret = std::getenv("PHX_CLUSTER_SECRET"))
    cfg.cluster.secret = secret;
  std::vector<option_spec> specs{
    {"host", "address to listen on", cfg.host,
     [&](std::string_view v) { cfg.host = std::string{v}; return !v.empty(); }},
    {"port", "TCP port (0: any free port)", std::to_string(cfg.port),
     integer_setter(cfg.port, std::uint16_t{0})},
    {"idle-timeout-ms", "close a WebSocket that sends nothing for this long",
     std::to_string(idle_ms), integer_setter(idle_ms, std::size_t{1})},
    {"max-frame-size", "largest WebSocket message in bytes (larger: close 1009)",
     std::to_string(cfg.max_frame_size), integer_setter(cfg.max_frame_size, std::size_t{64})},
    {"max-channels", "channels per connection", std::to_string(cfg.max_channels),
     integer_setter(cfg.max_channels, std::size_t{1})},
    {"max-outbound-bytes", "bytes queued for a slow client before it is closed (1008)",
     std::to_string(cfg.max_outbound_bytes),
     integer_setter(cfg.max_outbound_bytes, std::size_t{1024})},
    {"max-held-frames", "frames held for a topic while its join runs (more: close 1008)",
     std::to_string(cfg.max_held_frames), integer_setter(cfg.max_held_frames, std::size_t{1})},
    {"max-frames-in-flight", "frames read from a client and not yet handled before reading pauses",
     std::to_string(cfg.max_frames_in_flight), integer_setter(cfg.max_frames_in_flight, 1u)},
    {"max-json-depth", "how deep a client's JSON value may nest (deeper: close 1007 / HTTP 400)",
     std::to_string(cfg.max_json_depth), integer_setter(cfg.max_json_depth, std::size_t{1})},
    {"request-timeout-ms", "disconnect an HTTP client that has not sent its request by then",
     std::to_string(request_ms), integer_setter(request_ms, std::size_t{1})},
    {"check-origin", "browser origins allowed to connect: host, off, or a list (//example.com,...)",
     cfg.check_origin,
     [&](std::string_view v) {
       cfg.check_origin = std::string{v};
       std::string error;
       return detail::origin_policy::parse(v, error).has_value();
     }},
    {"longpoll-window-ms", "how long a long-poll GET waits for frames (no poll for 1.5x: closed)",
     std::to_string(window_ms), integer_setter(window_ms, std::size_t{100})},
    {"max-longpoll-sessions", "long-poll sessions at once (more: HTTP 503, logged)",
     std::to_string(cfg.max_longpoll_sessions),
     integer_setter(cfg.max_longpoll_sessions, std::size_t{1})},
    {"secret-key-base", "secret (32+ characters) signing long-poll session tokens",
     "generated at start",
     [&](std::string_view v) { cfg.secret_key_base = std::string{v}; return v.size() >= 32; }},
    {"broadcast-api-key", "require Authorization: Bearer KEY on the HTTP broadcast API",
     "none (loopback clients only)",
     [&](std::string_view v) { cfg.broadcast_api_key = std::string{v}; return true; }},
    {"io-threads", "threads running network I/O", std::to_string(cfg.io_threads),
     integer_setter(cfg.io_threads, 1u)},
    {"scheduler-threads", "threads running actors", std::to_string(cfg.scheduler_threads),
     integer_setter(cfg.scheduler_threads, 1u)},
    {"log-level", "debug, info, warning or error", cfg.log_level,
     [&](std::string_view v) {
       cfg.log_level = std::string{v};
       return v == "debug" || v == "info" || v == "warning" || v == "error";
     }},
    {"node-port", "cluster: this node's bridge port (0: single node)",
     std::to_string(cfg.cluster.node_port), integer_setter(cfg.cluster.node_port, std::uint16_t{0})},
    {"node-host", "cluster: address the node port binds to", cfg.cluster.node_host,
     [&](std::string_view v) { cfg.cluster.node_host = std::string{v}; return !v.empty(); }},
    {"node-name", "cluster: how peers and logs name this node", "node-host:node-port",
     [&](std::string_view v) { cfg.cluster.node_name = std::string{v}; return !v.empty(); }},
    {"peers", "cluster: peer nodes to dial, host:port,host:port", "none",
     [&](std::string_view v) {
       std::string error;
       return cfg.cluster.set_peers(v, error);
     }},
    {"cluster-secret", "cluster: secret every node shares (or PHX_CLUSTER_SECRET)", "none",
     [&](std::string_view v) { cfg.cluster.secret = std::string{v}; return !v.empty(); }},
    {"node-timeout-ms", "cluster: a peer silent this long is down",
     std::to_string(node_timeout_ms), integer_setter(node_timeout_ms, std::size_t{100})},
    {"node-queue-bytes", "cluster: bytes unacknowledged by a peer before its link is dropped",
     std::to_string(cfg.cluster.peer_queue_bytes),
     integer_setter(cfg.cluster.peer_queue_bytes, std::size_t{64 * 1024})},
    {"presence-broadcast-ms", "presence: how often a node sends its changes to the others",
     std::to_string(presence_broadcast_ms), integer_setter(presence_broadcast_ms, std::size_t{10})},
    {"presence-down-ms", "presence: a node not heard from this long is down, its presences leave",
     std::to_string(presence_down_ms), integer_setter(presence_down_ms, std::size_t{100})},
    {"presence-permdown-ms", "presence: a node down this long is forgotten",
     std::to_string(presence_permdown_ms), integer_setter(presence_permdown_ms, std::size_t{100})},
    {"presence-diff-ms", "presence: a topic's changes leave as one diff at most this often",
     std::to_string(presence_diff_ms), integer_setter(presence_diff_ms, std::size_t{0})},
  };
  for (auto& opt : extra) {
    if (opt.flag)
      specs.push_back({opt.name, opt.help, "", nullptr, opt.flag});
    else
      specs.push_back({opt.name, opt.help, *opt.value, [target = opt.value](std::string_view v) {
                         *target = std::string{v};
                         return true;
                       }});
  }
  const char* program = argc > 0 ? argv[0] : "phx";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(stdout, program, specs);
      std::exit(0);
    }
    if (arg.substr(0, 2) != "--")
      fail(program, specs, "unexpected argument \"" + std::string{arg} + "\"");
    arg.remove_prefix(2);
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const option_spec& s) { return s.name == name; });
    if (spec == specs.end())
      fail(program, specs, "unknown option --" + std::string{name});
    if (spec->flag) {
      if (eq != std::string_view::npos)
        fail(program, specs, "option --" + std::string{name} + " takes no value");
      *spec->flag = true;
      continue;
    }
    std::string_view value;
    if (eq != std::string_view::npos)
      value = arg.substr(eq + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    else
      fail(program, specs, "option --" + std::string{name} + " needs a value");
    if (!spec->set(value))
      fail(program, specs, "bad value \"" + std::string{value} + "\" for --" + std::string{name});
  }
  cfg.idle_timeout = std::chrono::milliseconds(idle_ms);
  cfg.request_timeout = std::chrono::milliseconds(request_ms);
  cfg.longpoll_window = std::chrono::milliseconds(window_ms);
  cfg.cluster.node_timeout = std::chrono::milliseconds(node_timeout_ms);
  cfg.presence.broadcast_every = std::chrono::milliseconds(presence_broadcast_ms);
  cfg.presence.down_after = std::chrono::milliseconds(presence_down_ms);
  cfg.presence.permdown_after = std::chrono::milliseconds(presence_permdown_ms);
  cfg.presence.diff_every = std::chrono::milliseconds(presence_diff_ms);
  return cfg;
}

} // namespace phx
