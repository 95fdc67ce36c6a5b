#include "run_control.hpp"

#include <csignal>
#include <cstring>
#include <unistd.h>

namespace bench {
namespace {

volatile sig_atomic_t g_stop = 0;
constexpr int max_workers = 256;
volatile pid_t g_workers[max_workers] = {};

void on_stop_signal(int) { g_stop = 1; }

void on_alarm(int) {
  const char msg[] = "phx-bench: hard cap reached, killing workers\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  for (int i = 0; i < max_workers; ++i)
    if (g_workers[i] > 0)
      ::kill(g_workers[i], SIGKILL);
  _exit(3);
}

} // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop != 0; }

void arm_hard_cap(int seconds) { alarm(unsigned(seconds > 0 ? seconds : 1)); }

void disarm_hard_cap() { alarm(0); }

void register_worker(pid_t pid) {
  for (int i = 0; i < max_workers; ++i)
    if (g_workers[i] == 0) {
      g_workers[i] = pid;
      return;
    }
}

void unregister_worker(pid_t pid) {
  for (int i = 0; i < max_workers; ++i)
    if (g_workers[i] == pid)
      g_workers[i] = 0;
}

} // namespace bench
