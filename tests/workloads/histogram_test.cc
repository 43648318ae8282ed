#include "workloads/histogram.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "gtest/gtest.h"

namespace kvlab::workloads {
namespace {

int64_t ExactPercentile(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

TEST(Histogram, BucketsCoverEveryValueWithinOnePercent) {
  core::Rng rng(5);
  for (int i = 0; i < 100'000; ++i) {
    const int64_t v = static_cast<int64_t>(rng.Next() >> (rng.Uniform(63) + 1));
    const size_t idx = Histogram::IndexOf(v);
    ASSERT_LE(Histogram::LowestOf(idx), v);
    ASSERT_GE(Histogram::HighestOf(idx), v);
    ASSERT_LE(Histogram::HighestOf(idx) - Histogram::LowestOf(idx), v / 100);
  }
  EXPECT_EQ(Histogram::IndexOf(255), 255u);
  EXPECT_EQ(Histogram::HighestOf(Histogram::IndexOf(256)), 257);
}

TEST(Histogram, PercentilesWithinOnePercentOfExact) {
  core::Rng rng(11);
  Histogram h;
  std::vector<int64_t> values;
  for (int i = 0; i < 50'000; ++i) {
    // Log-uniform latencies from 1 us to 1 s, in ns.
    const int64_t v = 1000 + static_cast<int64_t>(rng.Uniform(1000)) * static_cast<int64_t>(1 + rng.Uniform(1'000'000));
    values.push_back(v);
    h.Record(v);
  }
  for (double p : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const int64_t exact = ExactPercentile(values, p);
    EXPECT_NEAR(h.ValueAtPercentile(p), exact, exact * 0.01) << "p" << p;
  }
  EXPECT_EQ(h.count(), 50'000u);
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  double sum = 0;
  for (int64_t v : values) sum += v;
  EXPECT_NEAR(h.Mean(), sum / values.size(), 1e-6 * sum / values.size());
}

TEST(Histogram, MergeEqualsCombinedRecording) {
  core::Rng rng(2);
  Histogram a, b, all;
  for (int i = 0; i < 10'000; ++i) {
    const int64_t v = static_cast<int64_t>(rng.Uniform(1'000'000'000));
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a, all);
  EXPECT_EQ(a.ValueAtPercentile(99), all.ValueAtPercentile(99));
  EXPECT_DOUBLE_EQ(a.Mean(), all.Mean());
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(99), 0);
  EXPECT_EQ(h.Mean(), 0);
  EXPECT_EQ(h.min(), 0);
}

TEST(Histogram, PercentileDistributionEndsAtMaxWithSummary) {
  Histogram h;
  for (int64_t v = 1; v <= 1000; ++v) h.Record(v * 1000);
  const std::string text = h.PercentileDistribution(1000.0);
  EXPECT_NE(text.find("Percentile"), std::string::npos);
  EXPECT_NE(text.find("1000.000 1.000000000000       1000"), std::string::npos) << text;
  EXPECT_NE(text.find("#[Max     =     1000.000, Total count    =         1000]"), std::string::npos) << text;
}

}  // namespace
}  // namespace kvlab::workloads
