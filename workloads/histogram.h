// Latency histogram in the style of HdrHistogram: log-linear buckets (128 linear sub-buckets per
// power of two), so any recorded value is known within 1/128 < 1% relative error; exact below 256.
// Mergeable (add counts), fixed memory per octave, values are non-negative 64-bit integers in any
// unit (the driver records nanoseconds).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvlab::workloads {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 sub-buckets: relative error <= 1/128.
  static constexpr int64_t kSubBucketCount = int64_t{1} << kSubBucketBits;
  static_assert(1.0 / kSubBucketCount <= 0.01, "histogram must hold <= 1% relative error");

  void Record(int64_t value) { RecordN(value, 1); }
  // REQUIRES: value >= 0 (negative values are clamped to 0), n >= 0.
  void RecordN(int64_t value, uint64_t n);
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return max_; }
  double Mean() const;
  double StdDev() const;
  // Smallest recorded value v such that at least `percentile`% of values are <= v (HdrHistogram's
  // valueAtPercentile), reported as the top of v's bucket clamped to [min, max]. 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;

  // HdrHistogram's percentile-distribution text (as HistogramLogProcessor prints it), values
  // divided by `unit_ratio` (e.g. 1000 to print microseconds from nanoseconds).
  std::string PercentileDistribution(double unit_ratio = 1.0, int ticks_per_half = 5) const;

  bool operator==(const Histogram& other) const;

  // Bucket arithmetic, public for tests.
  static size_t IndexOf(int64_t value);
  static int64_t LowestOf(size_t index);
  static int64_t HighestOf(size_t index);  // inclusive.

 private:
  std::vector<uint64_t> counts_;  // grown on demand up to the highest index recorded.
  uint64_t count_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  long double sum_ = 0;
  long double sum_squares_ = 0;
};

}  // namespace kvlab::workloads
