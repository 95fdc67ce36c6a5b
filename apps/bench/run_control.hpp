#pragma once
// Process-wide run control of the parent: Ctrl-C / SIGTERM request a clean
// stop, and a hard-cap alarm kills every worker and exits no matter what.
#include <sys/types.h>

namespace bench {

void install_signal_handlers();
bool stop_requested();
// (Re)arms the hard cap: after `seconds`, SIGKILL all workers and _exit(3).
void arm_hard_cap(int seconds);
void disarm_hard_cap();
// Worker pids the hard cap must kill (async-signal-safe registry).
void register_worker(pid_t pid);
void unregister_worker(pid_t pid);

} // namespace bench
