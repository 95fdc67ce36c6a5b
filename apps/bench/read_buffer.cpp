#include "read_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace bench {
namespace {

// Buffers above this size are pooled when emptied, not kept per connection.
constexpr size_t big = 256 * 1024;
constexpr size_t pool_max = 64;

struct pooled {
  std::unique_ptr<char[]> data;
  size_t capacity;
};

std::vector<pooled>& pool() {
  static std::vector<pooled> buffers; // a worker process is single-threaded
  return buffers;
}

} // namespace

read_buffer::~read_buffer() { release(); }

char* read_buffer::prepare(size_t n) {
  if (begin_ + size_ + n <= capacity_)
    return data_.get() + begin_ + size_;
  if (size_ + n <= capacity_) { // room once the consumed prefix is gone
    std::memmove(data_.get(), data_.get() + begin_, size_);
    begin_ = 0;
    return data_.get() + size_;
  }
  size_t want = std::max(size_ + n, capacity_ * 2);
  std::unique_ptr<char[]> next;
  size_t next_capacity = 0;
  auto& p = pool();
  if (want > big) { // the smallest pooled buffer that fits
    auto fit = p.end();
    for (auto i = p.begin(); i != p.end(); ++i)
      if (i->capacity >= want && (fit == p.end() || i->capacity < fit->capacity))
        fit = i;
    if (fit != p.end()) {
      next = std::move(fit->data);
      next_capacity = fit->capacity;
      p.erase(fit);
    }
  }
  if (!next) {
    next.reset(new char[want]);
    next_capacity = want;
  }
  size_t size = size_;
  if (size > 0)
    std::memcpy(next.get(), data_.get() + begin_, size);
  release();
  data_ = std::move(next);
  capacity_ = next_capacity;
  size_ = size;
  return data_.get() + size_;
}

void read_buffer::consume(size_t n) {
  n = std::min(n, size_);
  begin_ += n;
  size_ -= n;
  if (size_ == 0) {
    begin_ = 0;
    if (capacity_ > big)
      release();
  }
}

void read_buffer::clear() {
  begin_ = size_ = 0;
  if (capacity_ > big)
    release();
}

void read_buffer::release() {
  if (data_ && capacity_ > big) {
    auto& p = pool();
    if (p.size() < pool_max) {
      p.push_back(pooled{std::move(data_), capacity_});
    } else { // replace the smallest if this one is bigger
      auto smallest = std::min_element(p.begin(), p.end(), [](const pooled& a, const pooled& b) {
        return a.capacity < b.capacity;
      });
      if (smallest->capacity < capacity_)
        *smallest = pooled{std::move(data_), capacity_};
    }
  }
  data_.reset();
  capacity_ = begin_ = size_ = 0;
}

} // namespace bench
