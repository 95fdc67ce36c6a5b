#pragma once
// A worker process: holds its share of the connections in one epoll loop and
// plays the scenario's client role. It talks to the parent over two pipes:
//   parent -> worker: one byte per command: 'g' (go: start the measured phase),
//                     's' (stop: drain, close every connection, report, exit),
//                     'q' (presence: worker 0 asks the server for the topic's list)
//   worker -> parent: text lines
//     R <joined> <failed> [<joined node 0> <joined node 1> ...]
//                              every connection of the share joined or failed
//                              (with --ports: then how many joined per node)
//     P <live> <joined> <rx> <tx> <errors> <deliveries>   once a second
//     C                        the measured phase completed (all deliveries / pings)
//     S <name> <value>         final counter (summed; names ending in _max_ns: the max)
//     H <name> <histogram>     final histogram (see histogram::serialize)
//     F <seq> <count> <last_ns>  fanout: deliveries of broadcast seq, and the last one's time
//     G <node> <seq> <count> <last_ns>  the same for one node (--ports only)
//     J <client> <ns>          presence: when client (global index) got its join reply;
//                              its F line counts the clients that learnt of it, and
//                              when the last of them did
//     X <client> <other>       presence: client never learnt of other (a few examples)
//     L <keys>                 presence: the server's list (after 'q') has this many keys
//     D                        final report complete
//   With --ports, S and H lines named <name>@<node> are one node's share.
#include "options.hpp"

namespace bench {

struct worker_share {
  int index = 0;      // worker number
  int first = 0;      // global index of its first connection (source address, node)
  int count = 0;      // connections it holds (churn: cycles in flight)
  int total = 0;      // connections over all workers
  long ping_quota = 0; // rtt with --pings: pushes this worker sends
  double rate = 0;    // rtt: pushes/s; churn: cycles/s; presence: joins/s, for this worker
};

// Runs the worker loop; returns the process exit code.
int worker_main(const options& o, const worker_share& share, int cmd_fd, int report_fd);

} // namespace bench
