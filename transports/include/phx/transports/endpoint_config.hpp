#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "phx/cluster/cluster_config.hpp"
#include "phx/presence/presence_config.hpp"

namespace phx {

/// An extra command-line option an app declares: "--www DIR" (`value`
/// receives the text and holds the default), or a flag without a value,
/// "--no-websocket" (`flag` becomes true).
struct cli_option {
  std::string name;  ///< without dashes: "www"
  std::string help;
  std::string* value = nullptr;
  bool* flag = nullptr;
};

struct endpoint_config_parse;

/// Everything an endpoint can be told, with documented defaults (Phoenix's
/// where Phoenix has one).
struct endpoint_config {
  /// Address to listen on. Loopback by default: expose on purpose.
  std::string host = "127.0.0.1";
  /// TCP port; 0 picks a free one (endpoint::port tells which).
  std::uint16_t port = 4000;
  /// A WebSocket that sends no frame for this long is closed (1000).
  std::chrono::milliseconds idle_timeout{60000};
  /// Largest accepted WebSocket message; larger ones close with 1009.
  std::size_t max_frame_size = 1024 * 1024;
  /// Channels per connection (Phoenix's max_channels_per_transport).
  std::size_t max_channels = 100;
  /// Bytes queued for one slow client before it is closed (1008) and logged.
  std::size_t max_outbound_bytes = 4 * 1024 * 1024;
  /// Client frames held for one topic while its join runs; past it the
  /// connection is closed (1008) rather than buffering without limit.
  std::size_t max_held_frames = 1000;
  /// Frames read from one client and not yet handled by its connection
  /// actor; at the limit reading pauses (backpressure against floods).
  unsigned max_frames_in_flight = 256;
  /// Largest HTTP request body (API calls); larger ones get 413.
  std::size_t max_http_body = 1024 * 1024;
  /// How deep a JSON value from a client (a frame's payload, refs, join
  /// params; an HTTP API body's payload) may nest. Deeper: the frame closes
  /// the connection (1007), the HTTP request gets 400.
  std::size_t max_json_depth = 64;
  /// A client that has not sent a whole HTTP request head (or body) within
  /// this time is disconnected (slowloris).
  std::chrono::milliseconds request_timeout{10000};
  /// Which browser pages may open a socket (`Origin` of the upgrade):
  /// "host" (the Origin's host equals the Host header's), "off", or a
  /// comma-separated list such as "//example.com,https://*.example.org".
  /// A refused origin gets 403. Requests without Origin always pass.
  std::string check_origin = "host";
  /// How long a long-poll GET waits for frames before it answers 204.
  /// A session that has not polled for 1.5 times this long is closed.
  std::chrono::milliseconds longpoll_window{10000};
  /// Long-poll sessions at once. A session holds no socket while nobody
  /// polls, so this, not the open-files limit, bounds how many a client
  /// can open; past it a new session gets HTTP 503 (the client retries).
  std::size_t max_longpoll_sessions = 20000;
  /// Secret that signs long-poll session tokens (HMAC-SHA256), at least 32
  /// characters. Empty: one is generated at start, with a warning, and
  /// tokens do not survive a restart.
  std::string secret_key_base;
  /// When set, the HTTP broadcast API requires `Authorization: Bearer <key>`
  /// (from any address); when empty, it answers loopback clients only.
  std::string broadcast_api_key;
  /// Threads running network I/O. Two on a two-core machine: fan-out is
  /// bound by send() calls, which two threads spread (README, Performance).
  unsigned io_threads = 2;
  /// Threads of CAF's scheduler (policy "sharing": see README, Performance).
  unsigned scheduler_threads = 2;
  /// glibc's malloc serves blocks of at least this many bytes with their
  /// own mmap and gives them back to the system when freed (0: glibc's
  /// default, a threshold that rises with every big block freed, after
  /// which big transient buffers such as a large presence topic's state
  /// come from the heap and leave it fragmented). Process-wide, set when
  /// the endpoint is made; at most 32 MiB.
  std::size_t malloc_mmap_threshold = 128 * 1024;
  /// glibc: while the endpoint runs, give the heap's free pages back to the
  /// system this often (malloc_trim, on a thread of its own). glibc keeps
  /// what a burst freed between long-lived objects (a big presence topic's
  /// joins) resident for good otherwise. 0: never.
  std::chrono::milliseconds malloc_trim_every{10000};
  /// "debug", "info", "warning" or "error".
  std::string log_level = "info";
  /// "text" (one line per event) or "json" (one JSON object per line, with
  /// at least "level" and "time").
  std::string log_format = "text";
  /// Connections at once, WebSocket and long-poll sessions together; past
  /// it a new one gets HTTP 503. 0: no limit but the open-files limit.
  std::size_t max_connections = 0;
  /// A graceful stop (SIGTERM, endpoint::drain) closes the connections
  /// (1012) in batches spread over this long, so that clients come back
  /// elsewhere gradually rather than all at once.
  std::chrono::milliseconds drain_time{10000};
  /// GET /metrics (Prometheus), /healthz and /readyz are served on the
  /// main port, and also on this one when set (0: none), bound to
  /// metrics_host.
  std::uint16_t metrics_port = 0;
  std::string metrics_host = "127.0.0.1";
  /// TLS: with both set (PEM files; the certificate file may hold its
  /// chain), the port speaks only HTTPS and WSS, TLS 1.2 and 1.3. SIGHUP
  /// (or endpoint::reload_tls) reads them again. The metrics port stays
  /// plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  /// Who may read /metrics: "loopback" clients only, or "any".
  std::string metrics_from = "loopback";
  /// What /readyz asks of the cluster's configured peers (--peers): "none"
  /// (ready whatever they do: a peer's restart must not take every node
  /// out of a load balancer), "one" (at least one up), or "all".
  std::string ready_peers = "none";
  /// Several processes as one: with a node port, broadcasts reach the
  /// subscribers of every node (see cluster_config). The secret defaults to
  /// the environment variable PHX_CLUSTER_SECRET.
  cluster_config cluster;
  /// The presence tracker (endpoint::presence()). In a cluster its replica
  /// is named by the node's name unless set here.
  presence_config presence;

  /// Looks up an environment variable (std::getenv, or a map in tests).
  using env_lookup = std::function<const char*(const char*)>;

  /// Reads the options above and the app's `extra` ones from three places,
  /// each winning over the one before: a config file (`--config FILE`, or
  /// the environment variable PHX_CONFIG; see config_file for the format),
  /// the environment (`PHX_` and the option's name in upper case with `-`
  /// as `_`: PHX_PORT, PHX_IDLE_TIMEOUT_MS), and `args`, the command line
  /// without the program name (`--port 4000` or `--port=4000`; a flag
  /// alone, or `--flag=true|false`). A flag from a file or the environment
  /// is true/false (also 1/0, yes/no, on/off).
  static endpoint_config_parse parse(const std::vector<std::string>& args, const env_lookup& env,
                            const std::vector<cli_option>& extra = {},
                            const std::string& program = "phx");

  /// parse() of the process's command line and environment: prints usage
  /// and exits 0 on --help; prints the problem and usage and exits 2 on a
  /// bad option.
  static endpoint_config from_args(int argc, char** argv,
                                   const std::vector<cli_option>& extra = {});
};

/// What endpoint_config::parse found: the configuration, or that help was
/// asked for, or what is wrong (naming the option, where its value came
/// from and what it accepts).
struct endpoint_config_parse {
  endpoint_config config;
  bool help = false;
  std::string error;
  std::string usage; ///< the --help text
};

} // namespace phx
