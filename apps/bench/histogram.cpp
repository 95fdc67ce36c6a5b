#include "histogram.hpp"

#include <cmath>
#include <sstream>

namespace bench {
namespace {
constexpr int sub_bits = 6;
constexpr int64_t sub_count = int64_t(1) << sub_bits;
constexpr size_t bucket_count = size_t(sub_count) + 58 * size_t(sub_count);
} // namespace

histogram::histogram() : buckets_(bucket_count, 0) {}

size_t histogram::index_of(int64_t v) {
  if (v < sub_count)
    return size_t(v < 0 ? 0 : v);
  int msb = 63 - __builtin_clzll(uint64_t(v));
  int shift = msb - sub_bits;
  int64_t top = v >> shift; // in [sub_count, 2*sub_count)
  return size_t(sub_count + shift * sub_count + (top - sub_count));
}

int64_t histogram::value_of(size_t idx) {
  if (idx < size_t(sub_count))
    return int64_t(idx);
  int64_t shift = int64_t(idx - size_t(sub_count)) / sub_count;
  int64_t top = sub_count + int64_t(idx - size_t(sub_count)) % sub_count;
  // Middle of the bucket: halves the worst-case error.
  return (top << shift) + ((int64_t(1) << shift) >> 1);
}

void histogram::record(int64_t value) {
  if (value < 0)
    value = 0;
  size_t idx = index_of(value);
  if (idx >= buckets_.size())
    idx = buckets_.size() - 1;
  ++buckets_[idx];
  ++total_;
  sum_ += value;
  if (value > max_)
    max_ = value;
}

void histogram::merge(const histogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i)
    buckets_[i] += other.buckets_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  if (other.max_ > max_)
    max_ = other.max_;
}

int64_t histogram::percentile(double q) const {
  if (total_ == 0)
    return 0;
  uint64_t rank = uint64_t(std::ceil(q * double(total_)));
  if (rank < 1)
    rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank)
      return std::min(value_of(i), max_);
  }
  return max_;
}

std::string histogram::serialize() const {
  std::ostringstream out;
  out << total_ << ' ' << sum_ << ' ' << max_;
  for (size_t i = 0; i < buckets_.size(); ++i)
    if (buckets_[i])
      out << ' ' << i << ':' << buckets_[i];
  return out.str();
}

histogram histogram::deserialize(const std::string& text) {
  histogram h;
  std::istringstream in(text);
  in >> h.total_ >> h.sum_ >> h.max_;
  std::string item;
  while (in >> item) {
    auto colon = item.find(':');
    size_t idx = std::stoul(item.substr(0, colon));
    if (idx < h.buckets_.size())
      h.buckets_[idx] = std::stoull(item.substr(colon + 1));
  }
  return h;
}

} // namespace bench
