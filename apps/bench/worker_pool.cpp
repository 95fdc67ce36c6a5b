#include "worker_pool.hpp"

#include "clock.hpp"
#include "run_control.hpp"
#include "worker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace bench {

int64_t worker_totals::counter(const std::string& name) const {
  auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

const histogram& worker_totals::hist(const std::string& name) const {
  static const histogram empty;
  auto it = hists.find(name);
  return it == hists.end() ? empty : it->second;
}

worker_pool::worker_pool(const options& o) : nodes_(o.nodes()), start_ns_(now_ns()) {
  next_progress_ns_ = last_progress_ns_ = start_ns_;
  int procs = std::min(o.processes, o.connections);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  int per_proc = (o.connections + procs - 1) / procs;
  if (rlim_t(per_proc) + 32 > rl.rlim_cur)
    throw std::runtime_error(std::to_string(per_proc) + " connections per process exceed the " +
                             std::to_string(rl.rlim_cur) +
                             "-file limit: raise --processes");
  int first = 0;
  for (int i = 0; i < procs; ++i) {
    int count = o.connections / procs + (i < o.connections % procs ? 1 : 0);
    spawn(o, i, first, count, o.connections);
    first += count;
  }
  totals_.fan_count.assign(size_t(o.scenario == "fanout"     ? o.broadcasts
                                  : o.scenario == "presence" ? o.connections
                                                             : 0),
                           0);
  if (o.scenario == "presence")
    totals_.join_at.assign(size_t(o.connections), 0);
  totals_.fan_last.assign(totals_.fan_count.size(), 0);
  if (o.cluster()) {
    totals_.node_fan_count.assign(size_t(nodes_), totals_.fan_count);
    totals_.node_fan_last.assign(size_t(nodes_), totals_.fan_last);
  }
}

void worker_pool::spawn(const options& o, int index, int first, int count, int total) {
  int cmd[2], rep[2];
  if (pipe2(cmd, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  worker_share share;
  share.index = index;
  share.first = first;
  share.count = count;
  share.total = total;
  share.ping_quota = long(double(o.pings) * count / total + 0.5);
  share.rate = o.rate * count / total;
  pid_t parent = getpid();
  std::fflush(nullptr); // the child must not inherit (and repeat) buffered output
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the parent
    if (getppid() != parent)
      _exit(1);
    signal(SIGINT, SIG_IGN); // Ctrl-C is the parent's: it stops us cleanly
    signal(SIGTERM, SIG_IGN);
    signal(SIGALRM, SIG_DFL);
    alarm(0);
    for (auto& c : children_) {
      close(c.cmd_fd);
      close(c.report_fd);
    }
    close(cmd[1]);
    close(rep[0]);
    _exit(worker_main(o, share, cmd[0], rep[1]));
  }
  register_worker(pid);
  close(cmd[0]);
  close(rep[1]);
  child c;
  c.pid = pid;
  c.cmd_fd = cmd[1];
  c.report_fd = rep[0];
  children_.push_back(std::move(c));
}

worker_pool::~worker_pool() {
  for (auto& c : children_)
    if (c.pid > 0)
      kill(c.pid, SIGKILL);
  reap();
}

void worker_pool::reap() {
  for (auto& c : children_) {
    if (c.pid > 0) {
      waitpid(c.pid, nullptr, 0);
      unregister_worker(c.pid);
      c.pid = -1;
    }
    if (c.cmd_fd >= 0)
      close(c.cmd_fd);
    if (c.report_fd >= 0)
      close(c.report_fd);
    c.cmd_fd = c.report_fd = -1;
  }
}

void worker_pool::command(char cmd) {
  for (auto& c : children_)
    if (c.cmd_fd >= 0) {
      ssize_t n = write(c.cmd_fd, &cmd, 1);
      (void)n;
    }
}

void worker_pool::handle_line(child& c, const std::string& line) {
  std::istringstream in(line);
  std::string kind;
  in >> kind;
  if (kind == "R") {
    in >> c.joined >> c.failed;
    c.joined_node.clear();
    for (int n = 0; in >> n;)
      c.joined_node.push_back(n);
    c.ready = true;
  } else if (kind == "P") {
    for (auto& v : c.progress)
      in >> v;
  } else if (kind == "C") {
    c.complete = true;
  } else if (kind == "S") {
    std::string name;
    int64_t v = 0;
    in >> name >> v;
    // Times (CLOCK_MONOTONIC) end in "_max_ns": the latest over the workers.
    bool is_max = name.size() > 7 && name.compare(name.size() - 7, 7, "_max_ns") == 0;
    int64_t& sum = totals_.counters[name];
    sum = is_max ? std::max(sum, v) : sum + v;
  } else if (kind == "H") {
    std::string name, rest;
    in >> name;
    std::getline(in, rest);
    totals_.hists[name].merge(histogram::deserialize(rest));
  } else if (kind == "F") {
    size_t seq = 0;
    int64_t count = 0, last = 0;
    in >> seq >> count >> last;
    if (seq < totals_.fan_count.size()) {
      totals_.fan_count[seq] += count;
      totals_.fan_last[seq] = std::max(totals_.fan_last[seq], last);
    }
  } else if (kind == "J") {
    size_t i = 0;
    int64_t at = 0;
    in >> i >> at;
    if (i < totals_.join_at.size())
      totals_.join_at[i] = at;
  } else if (kind == "G") {
    size_t node = 0, seq = 0;
    int64_t count = 0, last = 0;
    in >> node >> seq >> count >> last;
    if (node < totals_.node_fan_count.size() && seq < totals_.node_fan_count[node].size()) {
      totals_.node_fan_count[node][seq] += count;
      totals_.node_fan_last[node][seq] = std::max(totals_.node_fan_last[node][seq], last);
    }
  } else if (kind == "X") {
    int client = 0, other = 0;
    if (in >> client >> other)
      totals_.unseen.emplace_back(client, other);
  } else if (kind == "L") {
    in >> c.list_keys;
  } else if (kind == "D") {
    c.done = true;
  }
}

void worker_pool::read_child(child& c) {
  char buf[65536];
  ssize_t n = read(c.report_fd, buf, sizeof buf);
  if (n <= 0) {
    if (n == 0) { // worker exited (or crashed): treat as done
      c.done = c.ready = c.complete = true;
      close(c.report_fd);
      c.report_fd = -1;
    }
    return;
  }
  c.buf.append(buf, size_t(n));
  size_t pos;
  while ((pos = c.buf.find('\n')) != std::string::npos) {
    handle_line(c, c.buf.substr(0, pos));
    c.buf.erase(0, pos + 1);
  }
}

void worker_pool::pump(int ms) {
  std::vector<pollfd> fds;
  std::vector<child*> who;
  for (auto& c : children_)
    if (c.report_fd >= 0) {
      fds.push_back({c.report_fd, POLLIN, 0});
      who.push_back(&c);
    }
  if (fds.empty()) {
    if (ms > 0)
      usleep(useconds_t(ms) * 1000);
  } else if (poll(fds.data(), fds.size(), ms) > 0) {
    for (size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents)
        read_child(*who[i]);
  }
  if (now_ns() >= next_progress_ns_)
    print_progress();
}

void worker_pool::print_progress() {
  int64_t now = now_ns();
  int64_t sum[6] = {};
  for (auto& c : children_)
    for (int i = 0; i < 6; ++i)
      sum[i] += c.progress[i];
  double dt = double(now - last_progress_ns_) / 1e9;
  if (now > start_ns_ + ms_to_ns(500) && dt > 0)
    std::fprintf(stderr,
                 "[phx-bench] %6.1fs live=%lld joined=%lld rx/s=%.0f tx/s=%.0f errors=%lld "
                 "done=%lld\n",
                 double(now - start_ns_) / 1e9, (long long)sum[0], (long long)sum[1],
                 double(sum[2] - last_rx_) / dt, double(sum[3] - last_tx_) / dt,
                 (long long)sum[4], (long long)sum[5]);
  last_rx_ = sum[2];
  last_tx_ = sum[3];
  last_progress_ns_ = now;
  next_progress_ns_ = now + ms_to_ns(1000);
}

bool worker_pool::wait_ready(int64_t timeout_ms) {
  int64_t deadline = now_ns() + ms_to_ns(timeout_ms);
  while (!stop_requested() && now_ns() < deadline) {
    if (std::all_of(children_.begin(), children_.end(), [](auto& c) { return c.ready; }))
      return true;
    pump(100);
  }
  return false;
}

int worker_pool::joined() const {
  int n = 0;
  for (auto& c : children_)
    n += c.joined;
  return n;
}

int worker_pool::failed() const {
  int n = 0;
  for (auto& c : children_)
    n += c.failed;
  return n;
}

std::vector<int> worker_pool::joined_per_node() const {
  if (nodes_ == 1)
    return {joined()};
  std::vector<int> per(size_t(nodes_), 0);
  for (auto& c : children_)
    for (size_t k = 0; k < c.joined_node.size() && k < per.size(); ++k)
      per[k] += c.joined_node[k];
  return per;
}

int64_t worker_pool::progress_total(int i) const {
  int64_t sum = 0;
  for (auto& c : children_)
    sum += c.progress[i];
  return sum;
}

bool worker_pool::wait_complete(int64_t timeout_ms, bool while_progressing) {
  int64_t deadline = now_ns() + ms_to_ns(timeout_ms);
  int64_t seen = progress_total(5);
  while (!stop_requested() && now_ns() < deadline) {
    if (std::all_of(children_.begin(), children_.end(), [](auto& c) { return c.complete; }))
      return true;
    pump(5);
    if (while_progressing && progress_total(5) != seen) {
      seen = progress_total(5);
      deadline = now_ns() + ms_to_ns(timeout_ms);
    }
  }
  return false;
}

void worker_pool::hold(int64_t ms) {
  int64_t deadline = now_ns() + ms_to_ns(ms);
  while (!stop_requested() && now_ns() < deadline)
    pump(int(std::min<int64_t>(100, std::max<int64_t>(1, (deadline - now_ns()) / 1000000))));
}

int64_t worker_pool::ask_list(int64_t timeout_ms) {
  if (children_.empty())
    return -1;
  child& first = children_[0];
  first.list_keys = -2;
  command('q');
  int64_t deadline = now_ns() + ms_to_ns(timeout_ms);
  while (first.list_keys == -2 && !stop_requested() && now_ns() < deadline && !first.done)
    pump(5);
  return first.list_keys == -2 ? -1 : first.list_keys;
}

worker_totals worker_pool::stop(int64_t timeout_ms) {
  command('s');
  int64_t deadline = now_ns() + ms_to_ns(timeout_ms);
  while (now_ns() < deadline &&
         !std::all_of(children_.begin(), children_.end(), [](auto& c) { return c.done; }))
    pump(50);
  for (auto& c : children_)
    if (!c.done && c.pid > 0) {
      std::fprintf(stderr, "[phx-bench] worker %d did not finish; killing it\n", int(c.pid));
      kill(c.pid, SIGKILL);
      totals_.counters["workers_killed"] += 1;
    }
  reap();
  return totals_;
}

} // namespace bench
