#include "workloads/histogram.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "core/assert.h"

namespace kvlab::workloads {
namespace {

constexpr int64_t kLinearLimit = 2 * Histogram::kSubBucketCount;  // [0, 256) recorded exactly.

int HighestBit(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

size_t Histogram::IndexOf(int64_t value) {
  if (value < kLinearLimit) return static_cast<size_t>(value);
  const int shift = HighestBit(static_cast<uint64_t>(value)) - kSubBucketBits;  // >= 1
  const int64_t sub = value >> shift;                                           // in [128, 256)
  return static_cast<size_t>(kLinearLimit + (shift - 1) * kSubBucketCount + (sub - kSubBucketCount));
}

int64_t Histogram::LowestOf(size_t index) {
  const int64_t i = static_cast<int64_t>(index);
  if (i < kLinearLimit) return i;
  const int shift = static_cast<int>((i - kLinearLimit) / kSubBucketCount) + 1;
  const int64_t sub = (i - kLinearLimit) % kSubBucketCount + kSubBucketCount;
  return sub << shift;
}

int64_t Histogram::HighestOf(size_t index) {
  const int64_t i = static_cast<int64_t>(index);
  if (i < kLinearLimit) return i;
  const int shift = static_cast<int>((i - kLinearLimit) / kSubBucketCount) + 1;
  return LowestOf(index) + ((int64_t{1} << shift) - 1);  // no overflow at the top bucket.
}

void Histogram::RecordN(int64_t value, uint64_t n) {
  if (n == 0) return;
  if (value < 0) value = 0;
  const size_t index = IndexOf(value);
  if (index >= counts_.size()) counts_.resize(index + 1, 0);
  counts_[index] += n;
  count_ += n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  const long double v = static_cast<long double>(value);
  sum_ += v * n;
  sum_squares_ += v * v * n;
}

void Histogram::Merge(const Histogram& other) {
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

void Histogram::Reset() { *this = Histogram(); }

double Histogram::Mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_); }

double Histogram::StdDev() const {
  if (count_ == 0) return 0;
  const long double mean = sum_ / count_;
  const long double var = sum_squares_ / count_ - mean * mean;
  return var > 0 ? std::sqrt(static_cast<double>(var)) : 0.0;
}

int64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  uint64_t target = static_cast<uint64_t>(std::ceil(percentile / 100.0 * count_));
  target = std::clamp<uint64_t>(target, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target) return std::clamp(HighestOf(i), min_, max_);
  }
  KV_ASSERT(false);  // counts_ sum to count_.
  return max_;
}

bool Histogram::operator==(const Histogram& other) const {
  const size_t n = std::max(counts_.size(), other.counts_.size());
  for (size_t i = 0; i < n; ++i) {
    const uint64_t a = i < counts_.size() ? counts_[i] : 0;
    const uint64_t b = i < other.counts_.size() ? other.counts_[i] : 0;
    if (a != b) return false;
  }
  return count_ == other.count_ && min() == other.min() && max_ == other.max_;
}

std::string Histogram::PercentileDistribution(double unit_ratio, int ticks_per_half) const {
  std::string out = absl::StrFormat("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  // HdrHistogram's PercentileIterator: ticks get denser as percentiles approach 100.
  uint64_t seen = 0;
  size_t bucket = 0;
  double level = 0;
  while (count_ > 0) {
    const uint64_t target = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(level / 100.0 * count_)));
    while (seen + counts_[bucket] < target) seen += counts_[bucket++];  // target <= count_.
    const uint64_t total = seen + counts_[bucket];
    const double fraction = static_cast<double>(total) / count_;
    const double value = static_cast<double>(std::clamp(HighestOf(bucket), min_, max_));
    if (fraction >= 1.0) {
      out += absl::StrFormat("%12.3f %14.12f %10d\n", value / unit_ratio, 1.0, total);
      break;
    }
    out += absl::StrFormat("%12.3f %14.12f %10d %14.2f\n", value / unit_ratio, level / 100.0, total,
                           1.0 / (1.0 - level / 100.0));
    const double halvings = std::floor(std::log2(100.0 / (100.0 - level))) + 1;
    const double ticks = ticks_per_half * std::pow(2.0, halvings);
    level += 100.0 / ticks;
  }
  out += absl::StrFormat("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", Mean() / unit_ratio, StdDev() / unit_ratio);
  out += absl::StrFormat("#[Max     = %12.3f, Total count    = %12d]\n", max_ / unit_ratio, count_);
  out += absl::StrFormat("#[Buckets = %12d, SubBuckets     = %12d]\n", counts_.size(), kSubBucketCount);
  return out;
}

}  // namespace kvlab::workloads
