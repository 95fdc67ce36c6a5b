#pragma once
// Parent side of the workers: forks them (PR_SET_PDEATHSIG so none outlives
// the parent), splits connections between them, reads their report lines,
// prints a progress line per second and merges their final reports.
#include "histogram.hpp"
#include "options.hpp"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bench {

struct worker_totals {
  std::map<std::string, int64_t> counters;
  std::map<std::string, histogram> hists;
  std::vector<int64_t> fan_count; // per broadcast seq (presence: per client), summed
  std::vector<int64_t> fan_last;  // per broadcast seq (presence: per client), max over workers
  std::vector<int64_t> join_at;   // presence: per client, when its join reply came (0: none)
  std::vector<std::pair<int, int>> unseen; // presence: (client, other it never learnt of), a few
  // --ports: the same per node ([node][seq])
  std::vector<std::vector<int64_t>> node_fan_count, node_fan_last;
  int64_t counter(const std::string& name) const;
  const histogram& hist(const std::string& name) const;
};

class worker_pool {
public:
  explicit worker_pool(const options& o);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Waits until every worker has joined (or failed) its share.
  bool wait_ready(int64_t timeout_ms);
  int joined() const;
  // --ports: connections joined per node (when ready); without: {joined()}.
  std::vector<int> joined_per_node() const;
  int failed() const;
  void command(char c);
  // Handles worker output for up to `ms` milliseconds (0: what is there now).
  void pump(int ms);
  // Waits for every worker's 'C' (phase complete); false on timeout or Ctrl-C.
  // With `while_progressing`, the timeout restarts whenever the workers' done
  // counter (deliveries, cycles) moves: a slow but steady server is not "lost".
  bool wait_complete(int64_t timeout_ms, bool while_progressing = false);
  // Sum over workers of the last progress field `i` (see worker.hpp 'P').
  int64_t progress_total(int i) const;
  // Pumps until `ms` elapsed or Ctrl-C.
  void hold(int64_t ms);
  // presence: sends 'q' and waits up to `timeout_ms` for worker 0's answer
  // (the number of keys in the server's list); -1 if none came.
  int64_t ask_list(int64_t timeout_ms);
  // Sends 's', waits for the final reports, reaps the processes.
  worker_totals stop(int64_t timeout_ms);

private:
  struct child {
    pid_t pid = -1;
    int cmd_fd = -1, report_fd = -1;
    std::string buf;
    bool ready = false, complete = false, done = false;
    int joined = 0, failed = 0;
    std::vector<int> joined_node; // --ports
    int64_t progress[6] = {};
    int64_t list_keys = -2; // 'L': -2 none yet
  };
  void spawn(const options& o, int index, int first, int count, int total);
  void handle_line(child& c, const std::string& line);
  void read_child(child& c);
  void print_progress();
  void reap();

  int nodes_;
  std::vector<child> children_;
  worker_totals totals_;
  int64_t start_ns_, next_progress_ns_;
  int64_t last_rx_ = 0, last_tx_ = 0, last_progress_ns_;
};

} // namespace bench
