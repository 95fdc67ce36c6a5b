#pragma once
// What we read about the server under test from /proc (same machine).
namespace bench {

// VmRSS of `pid` in KiB; -1 when unreadable.
long read_vmrss_kb(int pid);

// CPU time (user + system) `pid` has used, in seconds; -1 when unreadable.
double read_cpu_s(int pid);

// Pid of the process with a listening TCP socket on `port` (127.0.0.1 or any
// address), found via /proc/net/tcp inodes and /proc/*/fd; 0 when not found.
int find_listening_pid(int port);

} // namespace bench
