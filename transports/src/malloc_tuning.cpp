#include "malloc_tuning.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace phx::detail {

void set_malloc_mmap_threshold(std::size_t bytes) {
#if defined(__GLIBC__)
  constexpr std::size_t glibc_max = 32 * 1024 * 1024; // larger: mallopt refuses it
  if (bytes > 0)
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes < glibc_max ? bytes : glibc_max));
#else
  (void)bytes;
#endif
}

} // namespace phx::detail
