#include "heap_trimmer.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

using phx::detail::heap_trimmer;
using namespace std::chrono_literals;

TEST_CASE("a heap trimmer stops at once, not after its interval") {
  auto begin = std::chrono::steady_clock::now();
  {
    heap_trimmer hourly{std::chrono::hours(1)};
    std::this_thread::sleep_for(10ms);
  }
  CHECK(std::chrono::steady_clock::now() - begin < 5s);
}

// glibc's own heap only: a sanitizer's allocator replaces it (and its trim).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHX_OTHER_MALLOC 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PHX_OTHER_MALLOC 1
#endif

#if defined(__GLIBC__) && !defined(PHX_OTHER_MALLOC)
namespace {

long resident_kb() {
  long pages = 0, resident = 0;
  if (auto* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

} // namespace

TEST_CASE("a heap trimmer gives back what a burst freed below a live block") {
  // 64 MB in small blocks, all freed but the last: the free space lies
  // below a live block, where glibc's free() never returns it.
  std::vector<char*> blocks;
  for (int i = 0; i < 64 * 1024; ++i) {
    blocks.push_back(new char[1000]);
    std::memset(blocks.back(), i, 1000);
  }
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i)
    delete[] blocks[i];
  auto held = resident_kb();
  {
    heap_trimmer never{0ms};
    std::this_thread::sleep_for(50ms);
  }
  CHECK(resident_kb() > held - 16 * 1024); // nothing trimmed
  {
    heap_trimmer often{5ms};
    std::this_thread::sleep_for(200ms);
  }
  CHECK(resident_kb() < held - 32 * 1024);
  delete[] blocks.back();
}
#endif
