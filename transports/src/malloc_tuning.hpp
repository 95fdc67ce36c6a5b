#pragma once

#include <cstddef>

namespace phx::detail {

/// glibc's malloc: serve blocks of at least `bytes` with their own mmap,
/// given back to the system when freed, rather than from the heap (0:
/// leave glibc's default; at most 32 MiB, glibc's limit). Process-wide; no
/// effect with another malloc.
///
/// Why: glibc's default threshold rises to the size of the largest mmapped
/// block freed so far. After the first big transient buffer (a presence
/// topic's state for its joiners, a large broadcast) every later one comes
/// from the heap, between long-lived objects that then pin that memory: a
/// burst of joins to a big presence topic left about 300 bytes more per
/// presence resident than a fixed threshold of 128 KiB does.
void set_malloc_mmap_threshold(std::size_t bytes);

} // namespace phx::detail
