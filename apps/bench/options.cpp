#include "options.hpp"

#include "longpoll_codec.hpp"

#include <arpa/inet.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <vector>

namespace bench {
namespace {

struct option_spec {
  const char* name;
  const char* help;
  std::function<void(options&, const std::string&)> set; // value "" for flags
  std::function<std::string(const options&)> show;
  bool flag = false;
};

int to_int(const std::string& name, const std::string& v) {
  try {
    size_t pos = 0;
    long long x = std::stoll(v, &pos);
    if (pos != v.size() || x < 0 || x > 1000000000)
      throw std::invalid_argument(v);
    return int(x);
  } catch (const std::exception&) {
    throw std::runtime_error("--" + name + ": expected a non-negative integer, got '" + v + "'");
  }
}

double to_double(const std::string& name, const std::string& v) {
  try {
    size_t pos = 0;
    double x = std::stod(v, &pos);
    if (pos != v.size() || !(x >= 0) || std::isinf(x))
      throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    throw std::runtime_error("--" + name + ": expected a non-negative number, got '" + v + "'");
  }
}

// "A,B,C" -> integers; empty elements (",,", a trailing comma) are refused.
// `what`: "port" or "pid", for the messages.
std::vector<int> to_int_list(const std::string& name, const std::string& v, const std::string& what) {
  std::string expected = " (expected a comma-separated list like " +
                         std::string(what == "port" ? "4001,4002,4003" : "1201,1202,1203") + ")";
  std::vector<int> out;
  size_t start = 0;
  while (true) {
    size_t comma = v.find(',', start);
    std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty())
      throw std::runtime_error("--" + name + ": empty " + what + " in '" + v + "'" + expected);
    try {
      out.push_back(to_int(name, item));
    } catch (const std::runtime_error&) {
      throw std::runtime_error("--" + name + ": '" + item + "' in '" + v + "' is not a " + what +
                               expected);
    }
    if (comma == std::string::npos)
      return out;
    start = comma + 1;
  }
}

std::vector<int> to_port_list(const std::string& v) {
  std::vector<int> ports = to_int_list("ports", v, "port");
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i] < 1 || ports[i] > 65535)
      throw std::runtime_error("--ports: " + std::to_string(ports[i]) +
                               " is not a TCP port (1..65535)");
    for (size_t k = 0; k < i; ++k)
      if (ports[k] == ports[i])
        throw std::runtime_error("--ports: port " + std::to_string(ports[i]) +
                                 " is given twice; each node needs its own port");
  }
  return ports;
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v)
    s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

std::string fmt_double(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

#define INT_OPT(NAME, FIELD, HELP)                                                         \
  option_spec {                                                                            \
    NAME, HELP, [](options& o, const std::string& v) { o.FIELD = to_int(NAME, v); },       \
        [](const options& o) { return std::to_string(o.FIELD); }                           \
  }
#define DBL_OPT(NAME, FIELD, HELP)                                                         \
  option_spec {                                                                            \
    NAME, HELP, [](options& o, const std::string& v) { o.FIELD = to_double(NAME, v); },    \
        [](const options& o) { return fmt_double(o.FIELD); }                               \
  }
#define STR_OPT(NAME, FIELD, HELP)                                                         \
  option_spec {                                                                            \
    NAME, HELP, [](options& o, const std::string& v) { o.FIELD = v; },                     \
        [](const options& o) { return o.FIELD; }                                           \
  }
#define FLAG_OPT(NAME, FIELD, HELP)                                                        \
  option_spec {                                                                            \
    NAME, HELP, [](options& o, const std::string&) { o.FIELD = true; },                    \
        [](const options& o) { return std::string(o.FIELD ? "on" : "off"); }, true         \
  }

const std::vector<option_spec>& specs() {
  static const std::vector<option_spec> all = {
      STR_OPT("host", host, "server address; must be loopback (127.0.0.0/8)"),
      INT_OPT("port", port, "server TCP port"),
      option_spec{"ports",
                  "cluster: P1,P2,... client ports of several server processes (nodes) on "
                  "--host; connection i goes to P[i % n]; broadcasts (--trigger http POSTs, "
                  "the shout publisher) go to P1, which replaces --port; results per node",
                  [](options& o, const std::string& v) { o.ports = to_port_list(v); },
                  [](const options& o) {
                    return o.ports.empty() ? std::string("none: one server at --port")
                                           : join(o.ports);
                  }},
      STR_OPT("path", path, "WebSocket path of the socket"),
      STR_OPT("transport", transport,
              "websocket, or longpoll (idle and fanout): connections (fanout: subscribers) "
              "are Phoenix long-poll sessions at --path with /websocket replaced by /longpoll, "
              "one keep-alive HTTP connection each, always one GET waiting"),
      STR_OPT("scenario", scenario, "idle, fanout, rtt, churn or presence"),
      INT_OPT("connections", connections,
              "connections (fanout: subscribers; churn: connections in flight; presence: "
              "clients, each with its own user_id)"),
      INT_OPT("processes", processes, "worker processes (each holds <= 20000 files)"),
      INT_OPT("source-addresses", source_addresses,
              "source addresses 127.0.0.2, .3, ... to spread connections over"),
      STR_OPT("topic", topic,
              "topic to join (with --channels K > 1: <topic>:0 .. <topic>:K-1; presence: "
              "presence:bench unless given)"),
      STR_OPT("baseline-topic", baseline_topic,
              "presence: first run the same clients (same user_ids, at --baseline-rate) on "
              "this topic, which tracks no presence (e.g. room:bench), and report the RSS "
              "per presence beyond that channel; empty: no baseline"),
      DBL_OPT("baseline-rate", baseline_rate,
              "presence: joins/s of the --baseline-topic pass (0: --rate); RSS does not "
              "depend on it, a slow --rate need not be repeated for the baseline"),
      INT_OPT("channels", channels, "idle: topics joined per connection"),
      FLAG_OPT("compare-channels", compare_channels,
               "idle: also run with 1 channel and report RSS per extra channel"),
      INT_OPT("broadcasts", broadcasts, "fanout: broadcasts to publish"),
      DBL_OPT("rate", rate,
              "fanout: broadcasts/s (with --trigger http, open loop: POSTs are pipelined, "
              "not held back by slow answers); rtt: pushes/s over all connections; churn: "
              "cycles/s; presence: joins/s over all clients (open loop, once all are "
              "connected); 0 = as fast as possible, one at a time (rtt: per connection; "
              "presence: every join at once)"),
      STR_OPT("trigger", trigger, "fanout: http (POST /api/broadcast) or shout (channel event)"),
      STR_OPT("event", event, "fanout with --trigger http: event name to broadcast"),
      INT_OPT("pings", pings, "rtt: total pushes, then stop (0: run for --duration)"),
      DBL_OPT("duration", duration_s,
              "seconds: idle hold, rtt and churn run time; presence: the longest wait, after "
              "the last join was due, for every client to know every other"),
      DBL_OPT("warmup", warmup_s,
              "churn: seconds of cycles before the RSS baseline, so that one-time growth "
              "(code paged in, per-thread heaps) is not taken for a leak; 0: none"),
      option_spec{"server-pid",
                  "server pid for RSS (0: the process listening on --port); with --ports, "
                  "PID1,PID2,...: one per port, in order (none: the processes listening on "
                  "them; if one is not found, RSS is not read)",
                  [](options& o, const std::string& v) {
                    o.server_pids = to_int_list("server-pid", v, "pid");
                    o.server_pid = o.server_pids[0];
                    if (o.server_pids.size() == 1 && o.server_pid == 0)
                      o.server_pids.clear();
                  },
                  [](const options& o) {
                    return o.server_pids.empty() ? std::to_string(o.server_pid)
                                                 : join(o.server_pids);
                  }},
      INT_OPT("payload-bytes", payload_bytes, "filler bytes in each push/broadcast payload"),
      INT_OPT("heartbeat-ms", heartbeat_ms, "heartbeat interval per connection"),
      INT_OPT("settle-ms", settle_ms, "wait before reading the server's RSS"),
      INT_OPT("connect-concurrency", connect_concurrency, "handshakes in flight per worker"),
      INT_OPT("setup-timeout-ms", setup_timeout_ms, "give up connecting/joining after this"),
      INT_OPT("drain-ms", drain_ms,
              "fanout/rtt: wait this long for outstanding messages; presence: give up "
              "after this long without progress"),
      INT_OPT("max-run-s", max_run_s, "hard cap per scenario in seconds (0: derived)"),
      FLAG_OPT("tls", tls,
               "speak TLS (1.2 or 1.3, OpenSSL) on every connection to the server: "
               "WebSocket (wss) and long-poll (https) clients, the broadcast POSTs, the "
               "shout publisher; for a server whose port is HTTPS/WSS only. The server's "
               "certificate is NOT verified (a load generator, not a client to trust); SNI "
               "only for a host name, so none for --host's address. A handshake that fails "
               "counts as connect_failed (the first reason goes to stderr); first, one "
               "handshake per node checks that TLS works and gives the RESULT its "
               "tls_protocol and tls_cipher"),
      FLAG_OPT("smoke", smoke, "short run of every scenario; exit 0 only if all is well"),
      FLAG_OPT("help", help, "print this and exit"),
  };
  return all;
}

const option_spec* find_spec(const std::string& name) {
  for (auto& s : specs())
    if (name == s.name)
      return &s;
  return nullptr;
}

void validate(const options& o) {
  in_addr a{};
  if (inet_pton(AF_INET, o.host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
    throw std::runtime_error("--host " + o.host +
                             ": only loopback IPv4 addresses (127.0.0.0/8) may be targeted");
  if (o.port < 1 || o.port > 65535)
    throw std::runtime_error("--port must be 1..65535");
  if (o.scenario != "idle" && o.scenario != "fanout" && o.scenario != "rtt" &&
      o.scenario != "churn" && o.scenario != "presence")
    throw std::runtime_error("--scenario must be idle, fanout, rtt, churn or presence");
  if (o.transport != "websocket" && o.transport != "longpoll")
    throw std::runtime_error("--transport must be websocket or longpoll");
  if (o.transport == "longpoll" && o.scenario != "idle" && o.scenario != "fanout" && !o.smoke)
    throw std::runtime_error("--transport longpoll: only the idle and fanout scenarios");
  if (o.transport == "longpoll" && longpoll_path(o.path).empty())
    throw std::runtime_error("--transport longpoll: --path " + o.path +
                             " has no /websocket segment to replace by /longpoll");
  if (o.scenario == "presence" && o.channels != 1)
    throw std::runtime_error("--scenario presence: one channel per client (--channels 1)");
  if (o.trigger != "http" && o.trigger != "shout")
    throw std::runtime_error("--trigger must be http or shout");
  if (o.processes < 1 || o.connections < 1 || o.channels < 1 || o.source_addresses < 1 ||
      o.source_addresses > 253)
    throw std::runtime_error("--processes, --connections, --channels must be >= 1; "
                             "--source-addresses 1..253");
  if (o.heartbeat_ms < 1 || o.connect_concurrency < 1)
    throw std::runtime_error("--heartbeat-ms and --connect-concurrency must be >= 1");
  if (o.cluster() && o.connections < o.nodes())
    throw std::runtime_error("--ports: " + std::to_string(o.nodes()) + " nodes need at least " +
                             std::to_string(o.nodes()) + " --connections (one per node)");
  if (o.server_pids.size() > 1 && !o.cluster())
    throw std::runtime_error("--server-pid: a list of pids needs --ports (one pid per port)");
  if (o.cluster() && !o.server_pids.empty() && o.server_pids.size() != o.ports.size())
    throw std::runtime_error("--server-pid: " + std::to_string(o.server_pids.size()) +
                             " pid(s) for " + std::to_string(o.ports.size()) +
                             " --ports; give one pid per port, in the same order, or none");
  for (int pid : o.server_pids)
    if (pid < 1)
      throw std::runtime_error("--server-pid: pids in a list must be >= 1");
}

} // namespace

options parse_options(int argc, char** argv) {
  options o;
  bool port_given = false, topic_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      throw std::runtime_error("unexpected argument '" + arg + "' (see --help)");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const option_spec* s = find_spec(name);
    if (!s)
      throw std::runtime_error("unknown option --" + name + " (see --help)");
    if (!s->flag && !has_value) {
      if (i + 1 >= argc)
        throw std::runtime_error("--" + name + " needs a value");
      value = argv[++i];
    }
    s->set(o, value);
    port_given = port_given || name == "port";
    topic_given = topic_given || name == "topic";
  }
  if (o.scenario == "presence" && !topic_given)
    o.topic = "presence:bench";
  if (o.cluster()) { // the first node publishes: it is --port
    if (port_given && o.port != o.ports[0])
      throw std::runtime_error("--port " + std::to_string(o.port) + " and --ports " +
                               join(o.ports) +
                               ": with --ports the first port is the publishing one and "
                               "replaces --port; give one or the other");
    o.port = o.ports[0];
  }
  if (!o.help)
    validate(o);
  return o;
}

void print_help(const char* argv0) {
  std::printf("usage: %s [options]\n\n"
              "Load generator for Phoenix Channels servers (V2 JSON protocol).\n"
              "Scenarios print a table, then one line 'RESULT {json}'.\n"
              "Cluster mode (--ports P1,P2,...): every scenario spreads its connections\n"
              "round-robin over the nodes, fanout publishes on P1; the RESULT gives\n"
              "\"nodes\" and a \"per_node\" section keyed by port (fanout: deliveries and\n"
              "latency of each node's subscribers; rtt: replies and round trips; idle,\n"
              "churn: RSS of each node, summed over the nodes at the top).\n\n"
              "options (as --name VALUE or --name=VALUE):\n",
              argv0);
  options defaults;
  for (auto& s : specs())
    std::printf("  --%-22s %s (default: %s)\n", s.name, s.help, s.show(defaults).c_str());
}

int hard_cap_seconds(const options& o) {
  if (o.max_run_s > 0)
    return o.max_run_s;
  double s = o.setup_timeout_ms / 1000.0 + o.duration_s + o.warmup_s + 2 * o.drain_ms / 1000.0 +
             o.settle_ms / 1000.0 * 3 + 30;
  if (o.scenario == "fanout" && o.rate > 0)
    s += o.broadcasts / o.rate;
  else if (o.scenario == "fanout")
    s += 120;
  if (o.scenario == "presence") { // the joins at --rate, then at most --duration
    s += (o.rate > 0 ? o.connections / o.rate : 0) + 10;
    if (!o.baseline_topic.empty()) {
      double rate = o.baseline_rate > 0 ? o.baseline_rate : o.rate;
      s *= 2;
      s -= (o.rate > 0 ? o.connections / o.rate : 0) - (rate > 0 ? o.connections / rate : 0);
    }
  }
  return int(s);
}

} // namespace bench
