#pragma once
// Helpers shared by the fuzz targets.

#include <pthread.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "phx/protocol/json.hpp"

// A failed property must crash, so that libFuzzer saves the input.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace phx_fuzz {

// Nesting depth of `value` as json_nests_deeper_than counts it ([] is 1, a
// scalar 0). Iterative on purpose: the point is to measure values that may be
// too deep for the recursive code under test, so this must not recurse.
inline std::size_t json_depth(const phx::json& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const phx::json*, std::size_t>> stack{{&value, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_structured())
      continue;
    if (depth + 1 > deepest)
      deepest = depth + 1;
    for (auto& child : *node)
      stack.emplace_back(&child, depth + 1);
  }
  return deepest;
}

// Runs `fn` on a worker thread with a 1 MB stack and waits for it. Server
// threads have 8 MB, which a gcc -O2 build overflows copying or dumping JSON
// of 50-100 K levels (a 100-200 KB frame); inputs here stop at 16 KB. Under
// ASan a level takes several times the stack, so on 1 MB a seed of a few
// thousand levels overflows whenever the depth limit goes missing: the bug
// this is meant to catch. One long-lived worker, as a thread per input would
// cut the speed by six.
template <class F>
void run_on_small_stack(F fn) {
  struct worker {
    std::mutex mtx;
    std::condition_variable cv;
    std::function<void()> job;
    worker() {
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setstacksize(&attr, std::size_t{1} << 20);
      pthread_t thread;
      FUZZ_CHECK(pthread_create(&thread, &attr, &loop, this) == 0);
      pthread_detach(thread);
      pthread_attr_destroy(&attr);
    }
    static void* loop(void* arg) {
      auto& self = *static_cast<worker*>(arg);
      std::unique_lock<std::mutex> lock{self.mtx};
      for (;;) {
        self.cv.wait(lock, [&] { return bool{self.job}; });
        self.job();
        self.job = nullptr;
        self.cv.notify_all();
      }
    }
  };
  static auto* w = new worker; // never destroyed: the thread outlives main()
  std::unique_lock<std::mutex> lock{w->mtx};
  w->job = [&fn] { fn(); };
  w->cv.notify_all();
  w->cv.wait(lock, [&] { return !w->job; });
}

} // namespace phx_fuzz
