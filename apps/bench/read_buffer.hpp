#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace bench {

// A connection's unread input. recv() writes straight into its free tail
// (no bounce buffer), and a message whose size is known up front gets room
// for all of it at once (no growing copies). Emptied, a big buffer goes to
// a small per-process pool for the next big message, so a run that sends
// every client big frames (presence states) neither keeps one per client
// nor maps fresh pages for each.
class read_buffer {
public:
  read_buffer() = default;
  read_buffer(const read_buffer&) = delete;
  read_buffer& operator=(const read_buffer&) = delete;
  ~read_buffer();

  std::string_view view() const { return {data_.get() + begin_, size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Room for at least `n` more bytes after the data; commit what was written.
  char* prepare(size_t n);
  void commit(size_t n) { size_ += n; }

  // Drops the first `n` bytes.
  void consume(size_t n);
  void clear();

private:
  void release();

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0; // consumed bytes before the data, reclaimed lazily
  size_t size_ = 0;
};

} // namespace bench
