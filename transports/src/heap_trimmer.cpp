#include "heap_trimmer.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "phx/protocol/log.hpp"

namespace phx::detail {

heap_trimmer::heap_trimmer(std::chrono::milliseconds every) {
#if defined(__GLIBC__)
  if (every.count() > 0)
    thread_ = std::thread([this, every] { run(every); });
#else
  (void)every;
#endif
}

heap_trimmer::~heap_trimmer() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void heap_trimmer::run(std::chrono::milliseconds every) {
  std::unique_lock<std::mutex> lock{mtx_};
  while (!cv_.wait_for(lock, every, [this] { return stopping_; })) {
    lock.unlock();
#if defined(__GLIBC__)
    auto begin = std::chrono::steady_clock::now();
    bool released = malloc_trim(0) == 1;
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - begin);
    log(log_level::debug, "malloc_trim: ", released ? "memory released" : "nothing to release",
        " in ", took.count(), " us");
#endif
    lock.lock();
  }
}

} // namespace phx::detail
