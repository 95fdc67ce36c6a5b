#include "phx/metrics/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace phx::metrics {

namespace {

std::int64_t read_rss_bytes() {
  long pages_total = 0, pages_resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return -1;
  int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  return n == 2 ? std::int64_t{pages_resident} * sysconf(_SC_PAGESIZE) : -1;
}

std::int64_t count_open_files() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir)
    return -1;
  std::int64_t count = 0;
  while (auto* entry = readdir(dir))
    if (entry->d_name[0] != '.')
      ++count;
  closedir(dir);
  return count - 1; // the directory's own descriptor
}

} // namespace

process_stats process_stats::read() {
  process_stats s;
  s.rss_bytes = read_rss_bytes();
  s.open_files = count_open_files();
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0)
    s.max_files = lim.rlim_cur == RLIM_INFINITY ? -1 : static_cast<std::int64_t>(lim.rlim_cur);
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    s.cpu_seconds = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
                    + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return s;
}

std::int64_t raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return -1;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
      lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? -1 : static_cast<std::int64_t>(lim.rlim_cur);
}

} // namespace phx::metrics
