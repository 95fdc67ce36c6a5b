#pragma once
// Log-linear latency histogram (64 sub-buckets per power of two: <= 1.6 %
// error). Fixed size, so workers can record millions of samples cheaply and
// the parent merges them exactly; percentiles come from the merged counts.
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

class histogram {
public:
  histogram();
  void record(int64_t value);
  void merge(const histogram& other);
  uint64_t count() const { return total_; }
  int64_t max() const { return max_; }
  // Value at quantile q (0..1); 0 when empty.
  int64_t percentile(double q) const;
  double mean() const { return total_ ? double(sum_) / double(total_) : 0; }

  // Text form "count sum max idx:n idx:n ..." for the worker->parent pipe.
  std::string serialize() const;
  static histogram deserialize(const std::string& text);

private:
  static size_t index_of(int64_t v);
  static int64_t value_of(size_t idx);
  std::vector<uint64_t> buckets_;
  uint64_t total_ = 0;
  int64_t sum_ = 0;
  int64_t max_ = 0;
};

} // namespace bench
