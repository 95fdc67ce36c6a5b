#pragma once
// Command-line options of phx-bench: one struct, parsed once in main and copied
// into every worker by fork().
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct options {
  std::string host = "127.0.0.1";
  int port = 4000;            // with --ports: ports[0], the publishing node
  // --ports: the client ports of several server processes (cluster nodes) on
  // --host; connection i goes to ports[i % n], broadcasts to ports[0]. Empty:
  // one server at --port.
  std::vector<int> ports;
  std::string path = "/socket/websocket?vsn=2.0.0";
  std::string transport = "websocket"; // or longpoll (idle, fanout): path's /websocket -> /longpoll
  std::string scenario = "idle";
  std::string baseline_topic; // presence: first the same clients on this topic (no presence)
  double baseline_rate = 0;   // presence: joins/s of that baseline pass; 0: --rate
  bool presence_baseline = false; // internal: this run is that baseline (no presence expected)
  int connections = 1000;
  int processes = 2;
  int source_addresses = 4;
  std::string topic = "room:bench"; // presence: "presence:bench" unless given
  int channels = 1;
  bool compare_channels = false;
  int broadcasts = 100;
  double rate = 0;            // fanout: broadcasts/s, rtt: pushes/s, churn: cycles/s,
                              // presence: joins/s; 0 = as fast as possible
  std::string trigger = "http"; // fanout: http (POST /api/broadcast) or shout
  std::string event = "shout";  // fanout: event name of the broadcast
  int pings = 0;              // rtt: stop after this many pushes in all (0: run for --duration)
  double duration_s = 10;
  double warmup_s = 1;        // churn: cycles run (and ended) before the RSS baseline
  int server_pid = 0;         // 0: find the process listening on --port
  std::vector<int> server_pids; // --server-pid P1,P2,...: one per --ports node
  int payload_bytes = 32;
  int heartbeat_ms = 30000;
  int settle_ms = 2000;
  int connect_concurrency = 200; // handshakes in flight per worker
  int setup_timeout_ms = 120000;
  int drain_ms = 5000;
  int max_run_s = 0;          // hard cap on the whole run; 0: derived from the others
  bool tls = false;           // every connection to the server over TLS (no verification)
  bool smoke = false;
  bool help = false;

  bool cluster() const { return !ports.empty(); }
  int nodes() const { return ports.empty() ? 1 : int(ports.size()); }
  int node_port(int k) const { return ports.empty() ? port : ports[size_t(k)]; }
  // The node connection `i` (global index) goes to: round-robin.
  int node_of(long i) const { return ports.size() > 1 ? int(i % long(ports.size())) : 0; }
  // Connections (of `connections`) that go to node k.
  int node_connections(int k) const {
    return connections / nodes() + (k < connections % nodes() ? 1 : 0);
  }
};

// Parses argv ("--opt value" or "--opt=value"); throws std::runtime_error with a
// message fit for the user on unknown options, bad values or a non-loopback host.
options parse_options(int argc, char** argv);

void print_help(const char* argv0);

// Hard cap in seconds for one scenario run (alarm() in the parent).
int hard_cap_seconds(const options& o);

} // namespace bench
