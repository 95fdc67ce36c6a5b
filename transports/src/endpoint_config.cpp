#include "phx/transports/endpoint_config.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "config/config_file.hpp"
#include "http/origin_policy.hpp"

namespace phx {

namespace {

struct option_spec {
  std::string name;
  std::string help;
  std::string default_text;
  std::string accepts;                       // what a value may be, for errors
  std::function<bool(std::string_view)> set; // false: value not acceptable
  bool* flag = nullptr;                      // set: an option without a value
};

// An integer option between `min_value` and the type's maximum.
template <class Int>
option_spec integer(std::string name, std::string help, Int& target, Int min_value) {
  auto accepts = "an integer from " + std::to_string(min_value);
  accepts += std::numeric_limits<Int>::max() <= 65535
               ? " to " + std::to_string(std::numeric_limits<Int>::max())
               : " up";
  return {std::move(name), std::move(help), std::to_string(target), std::move(accepts),
          [&target, min_value](std::string_view text) {
            Int value{};
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc{} || end != text.data() + text.size() || value < min_value)
              return false;
            target = value;
            return true;
          }};
}

// A text option; `valid` checks it.
option_spec text(std::string name, std::string help, std::string& target, std::string accepts,
                 std::function<bool(std::string_view)> valid, std::string default_text = {}) {
  auto shown = default_text.empty() ? target : std::move(default_text);
  return {std::move(name), std::move(help), std::move(shown), std::move(accepts),
          [&target, valid = std::move(valid)](std::string_view v) {
            if (!valid(v))
              return false;
            target = std::string{v};
            return true;
          }};
}

bool not_empty(std::string_view v) { return !v.empty(); }

// A millisecond option kept as a count while parsing.
struct ms_option {
  std::chrono::milliseconds& target;
  std::size_t count;
  explicit ms_option(std::chrono::milliseconds& t)
    : target(t), count(static_cast<std::size_t>(t.count())) {}
  void apply() const { target = std::chrono::milliseconds(count); }
};

// A flag's value from a file or the environment.
bool set_flag(bool& flag, std::string_view v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on")
    flag = true;
  else if (v == "false" || v == "0" || v == "no" || v == "off")
    flag = false;
  else
    return false;
  return true;
}

std::string env_name(const std::string& option) {
  std::string out = "PHX_";
  for (char c : option)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string usage_text(const std::string& program, const std::vector<option_spec>& specs) {
  std::string out = "usage: " + program + " [options]\n\n"
                    "options (as --name VALUE or --name=VALUE; also from the environment as\n"
                    "PHX_NAME, e.g. PHX_IDLE_TIMEOUT_MS, and from a --config file; the command\n"
                    "line wins over the environment, which wins over the file):\n";
  char line[512];
  for (auto& spec : specs) {
    if (spec.flag)
      std::snprintf(line, sizeof line, "  --%-24s %s\n", spec.name.c_str(), spec.help.c_str());
    else
      std::snprintf(line, sizeof line, "  --%-24s %s (default: %s)\n",
                    (spec.name + " V").c_str(), spec.help.c_str(), spec.default_text.c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "  --%-24s %s\n  --%-24s %s\n", "config FILE",
                "read options from FILE (key = value lines, see README; or PHX_CONFIG)", "help",
                "print this and exit");
  return out + line;
}

// Applies one value; `where` says where it came from, for the error.
void apply(option_spec& spec, std::string_view value, const std::string& where) {
  bool ok = spec.flag ? set_flag(*spec.flag, value) : spec.set(value);
  if (!ok) {
    auto accepts = spec.flag ? std::string{"true or false"} : spec.accepts;
    throw std::invalid_argument("bad value \"" + std::string{value} + "\" for --" + spec.name
                                + " (" + where + "); accepted: " + accepts);
  }
}

option_spec* find(std::vector<option_spec>& specs, std::string_view name) {
  auto i = std::find_if(specs.begin(), specs.end(),
                        [&](const option_spec& s) { return s.name == name; });
  return i == specs.end() ? nullptr : &*i;
}

// The value of --config on the command line, else PHX_CONFIG; "" for none.
std::string config_path(const std::vector<std::string>& args,
                        const endpoint_config::env_lookup& env) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config")
      return i + 1 < args.size() ? args[i + 1] : throw std::invalid_argument(
                                                   "option --config needs a value");
    if (args[i].rfind("--config=", 0) == 0)
      return args[i].substr(9);
  }
  const char* from_env = env ? env("PHX_CONFIG") : nullptr;
  return from_env ? from_env : "";
}

void apply_file(std::vector<option_spec>& specs, const std::string& path) {
  std::string error;
  auto entries = detail::config_file::load(path, error);
  if (!error.empty())
    throw std::invalid_argument(error);
  for (auto& e : entries) {
    auto* spec = find(specs, e.key);
    if (!spec)
      throw std::invalid_argument(path + ", line " + std::to_string(e.line)
                                  + ": unknown option \"" + e.key + "\"");
    apply(*spec, e.value, path + ", line " + std::to_string(e.line));
  }
}

void apply_env(std::vector<option_spec>& specs, const endpoint_config::env_lookup& env) {
  if (!env)
    return;
  for (auto& spec : specs) {
    auto name = env_name(spec.name);
    if (const char* value = env(name.c_str()))
      apply(spec, value, "environment " + name);
  }
}

void apply_args(std::vector<option_spec>& specs, const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.substr(0, 2) != "--")
      throw std::invalid_argument("unexpected argument \"" + std::string{arg} + "\"");
    arg.remove_prefix(2);
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    if (name == "config") { // read first, see config_path
      i += eq == std::string_view::npos ? 1 : 0;
      continue;
    }
    auto* spec = find(specs, name);
    if (!spec)
      throw std::invalid_argument("unknown option --" + std::string{name});
    if (spec->flag && eq == std::string_view::npos) {
      *spec->flag = true;
      continue;
    }
    std::string_view value;
    if (eq != std::string_view::npos)
      value = arg.substr(eq + 1);
    else if (i + 1 < args.size())
      value = args[++i];
    else
      throw std::invalid_argument("option --" + std::string{name} + " needs a value");
    apply(*spec, value, "command line");
  }
}

} // namespace

endpoint_config_parse endpoint_config::parse(const std::vector<std::string>& args,
                                                     const env_lookup& env,
                                                     const std::vector<cli_option>& extra,
                                                     const std::string& program) {
  endpoint_config_parse result;
  auto& cfg = result.config;
  ms_option idle{cfg.idle_timeout}, request{cfg.request_timeout}, window{cfg.longpoll_window},
    node_timeout{cfg.cluster.node_timeout}, presence_broadcast{cfg.presence.broadcast_every},
    presence_down{cfg.presence.down_after}, presence_permdown{cfg.presence.permdown_after},
    presence_diff{cfg.presence.diff_every}, drain{cfg.drain_time}, trim{cfg.malloc_trim_every};
  std::vector<option_spec> specs{
    text("host", "address to listen on", cfg.host, "an address", not_empty),
    integer("port", "TCP port (0: any free port)", cfg.port, std::uint16_t{0}),
    integer("idle-timeout-ms", "close a WebSocket that sends nothing for this long", idle.count,
            std::size_t{1}),
    integer("max-frame-size", "largest WebSocket message in bytes (larger: close 1009)",
            cfg.max_frame_size, std::size_t{64}),
    integer("max-channels", "channels per connection", cfg.max_channels, std::size_t{1}),
    integer("max-outbound-bytes", "bytes queued for a slow client before it is closed (1008)",
            cfg.max_outbound_bytes, std::size_t{1024}),
    integer("max-held-frames", "frames held for a topic while its join runs (more: close 1008)",
            cfg.max_held_frames, std::size_t{1}),
    integer("max-frames-in-flight",
            "frames read from a client and not yet handled before reading pauses",
            cfg.max_frames_in_flight, 1u),
    integer("max-json-depth", "how deep a client's JSON value may nest (deeper: close 1007 / HTTP 400)",
            cfg.max_json_depth, std::size_t{1}),
    integer("request-timeout-ms", "disconnect an HTTP client that has not sent its request by then",
            request.count, std::size_t{1}),
    integer("malloc-mmap-threshold",
            "glibc: blocks of this many bytes or more get their own mmap, returned when freed "
            "(0: glibc's rising default)",
            cfg.malloc_mmap_threshold, std::size_t{0}),
    integer("malloc-trim-ms",
            "glibc: give the heap's free pages back to the system this often (0: never)",
            trim.count, std::size_t{0}),
    integer("max-connections", "connections at once, WebSocket and long-poll (more: HTTP 503; 0: no limit)",
            cfg.max_connections, std::size_t{0}),
    integer("drain-ms", "on SIGTERM, close the connections (1012) spread over this long",
            drain.count, std::size_t{0}),
    text("tls-cert", "serve HTTPS and WSS with this PEM certificate (chain) file, with --tls-key",
         cfg.tls_cert, "a file name", not_empty, "none (plain HTTP)"),
    text("tls-key", "the PEM private key of --tls-cert", cfg.tls_key, "a file name", not_empty,
         "none"),
    integer("metrics-port", "also serve /metrics, /healthz and /readyz on this port (0: no)",
            cfg.metrics_port, std::uint16_t{0}),
    text("metrics-host", "address the metrics port binds to", cfg.metrics_host, "an address",
         not_empty),
    text("metrics-from", "who may read /metrics: loopback or any", cfg.metrics_from,
         "loopback or any", [](std::string_view v) { return v == "loopback" || v == "any"; }),
    text("ready-peers", "what /readyz needs of the configured cluster peers: none, one or all",
         cfg.ready_peers, "none, one or all",
         [](std::string_view v) { return v == "none" || v == "one" || v == "all"; }),
    text("check-origin",
         "browser origins allowed to connect: host, off, or a list (//example.com,...)",
         cfg.check_origin, "host, off, or a comma-separated list of origins such as //example.com",
         [](std::string_view v) {
           std::string error;
           return detail::origin_policy::parse(v, error).has_value();
         }),
    integer("longpoll-window-ms",
            "how long a long-poll GET waits for frames (no poll for 1.5x: closed)", window.count,
            std::size_t{100}),
    integer("max-longpoll-sessions", "long-poll sessions at once (more: HTTP 503, logged)",
            cfg.max_longpoll_sessions, std::size_t{1}),
    text("secret-key-base", "secret (32+ characters) signing long-poll session tokens",
         cfg.secret_key_base, "a text of at least 32 characters",
         [](std::string_view v) { return v.size() >= 32; }, "generated at start"),
    text("broadcast-api-key", "require Authorization: Bearer KEY on the HTTP broadcast API",
         cfg.broadcast_api_key, "any text", [](std::string_view) { return true; },
         "none (loopback clients only)"),
    integer("io-threads", "threads running network I/O", cfg.io_threads, 1u),
    integer("scheduler-threads", "threads running actors", cfg.scheduler_threads, 1u),
    text("log-level", "debug, info, warning or error", cfg.log_level,
         "debug, info, warning or error",
         [](std::string_view v) {
           return v == "debug" || v == "info" || v == "warning" || v == "error";
         }),
    text("log-format", "text (one line per event) or json (one object per line)", cfg.log_format,
         "text or json", [](std::string_view v) { return v == "text" || v == "json"; }),
    integer("node-port", "cluster: this node's bridge port (0: single node)",
            cfg.cluster.node_port, std::uint16_t{0}),
    text("node-host", "cluster: address the node port binds to", cfg.cluster.node_host,
         "an address", not_empty),
    text("node-name", "cluster: how peers and logs name this node", cfg.cluster.node_name,
         "a name", not_empty, "node-host:node-port"),
    {"peers", "cluster: peer nodes to dial, host:port,host:port", "none",
     "a comma-separated list of host:port",
     [&](std::string_view v) {
       std::string error;
       return cfg.cluster.set_peers(v, error);
     }},
    text("cluster-secret", "cluster: secret every node shares", cfg.cluster.secret, "a text",
         not_empty, "none"),
    integer("node-timeout-ms", "cluster: a peer silent this long is down", node_timeout.count,
            std::size_t{100}),
    integer("node-queue-bytes", "cluster: bytes unacknowledged by a peer before its link is dropped",
            cfg.cluster.peer_queue_bytes, std::size_t{64 * 1024}),
    integer("presence-broadcast-ms", "presence: how often a node sends its changes to the others",
            presence_broadcast.count, std::size_t{10}),
    integer("presence-down-ms",
            "presence: a node not heard from this long is down, its presences leave",
            presence_down.count, std::size_t{100}),
    integer("presence-permdown-ms", "presence: a node down this long is forgotten",
            presence_permdown.count, std::size_t{100}),
    integer("presence-diff-ms", "presence: a topic's changes leave as one diff at most this often",
            presence_diff.count, std::size_t{0}),
  };
  for (auto& opt : extra) {
    if (opt.flag)
      specs.push_back({opt.name, opt.help, "", "", nullptr, opt.flag});
    else
      specs.push_back({opt.name, opt.help, *opt.value, "any text",
                       [target = opt.value](std::string_view v) {
                         *target = std::string{v};
                         return true;
                       }});
  }
  result.usage = usage_text(program, specs);
  if (std::find_if(args.begin(), args.end(), [](const std::string& a) {
        return a == "--help" || a == "-h";
      }) != args.end()) {
    result.help = true;
    return result;
  }
  try {
    if (auto path = config_path(args, env); !path.empty())
      apply_file(specs, path);
    apply_env(specs, env);
    apply_args(specs, args);
    if (cfg.tls_cert.empty() != cfg.tls_key.empty())
      throw std::invalid_argument(cfg.tls_cert.empty()
                                    ? "--tls-key needs --tls-cert (PEM files: both or neither)"
                                    : "--tls-cert needs --tls-key (PEM files: both or neither)");
  } catch (const std::invalid_argument& e) {
    result.error = e.what();
    return result;
  }
  for (auto* ms : {&idle, &request, &window, &node_timeout, &presence_broadcast, &presence_down,
                   &presence_permdown, &presence_diff, &drain, &trim})
    ms->apply();
  return result;
}

endpoint_config endpoint_config::from_args(int argc, char** argv,
                                           const std::vector<cli_option>& extra) {
  std::string program = argc > 0 ? argv[0] : "phx";
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto parsed = parse(args, [](const char* name) { return std::getenv(name); }, extra, program);
  if (parsed.help) {
    std::fputs(parsed.usage.c_str(), stdout);
    std::exit(0);
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "%s: %s\n\n%s", program.c_str(), parsed.error.c_str(),
                 parsed.usage.c_str());
    std::exit(2);
  }
  return std::move(parsed.config);
}

} // namespace phx
