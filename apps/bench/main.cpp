// phx-bench: load generator for Phoenix Channels (V2 JSON) servers on loopback.
// See --help; scenarios are in scenario_*.cpp, the client in worker.cpp.
#include "options.hpp"
#include "run_control.hpp"
#include "scenarios.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <exception>

namespace {

// Each connection is a file: take the hard limit (20,000 here) as soft limit.
void raise_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

} // namespace

int main(int argc, char** argv) {
  bench::options o;
  try {
    o = bench::parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phx-bench: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    bench::print_help(argv[0]);
    return 0;
  }
  raise_file_limit();
  bench::install_signal_handlers();
  try {
    if (o.smoke)
      return bench::run_smoke(o);
    return bench::run_scenario(o).ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phx-bench: %s\n", e.what());
    return 2;
  }
}
