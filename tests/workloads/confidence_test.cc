// The comparison table's confidence intervals (workloads/confidence.h).
#include "workloads/confidence.h"

#include <gtest/gtest.h>

namespace kvlab::workloads {
namespace {

// Ten runs: P(Binomial(10, 1/2) <= 1) = 11/1024 <= 2.5% < P(<= 2), so the 2nd and 9th values.
TEST(Confidence, MedianIntervalOfTenRunsIsTheSecondAndNinthValues) {
  const auto ci = MedianInterval95({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(*ci, std::make_pair(2.0, 9.0));
}

// Six runs: only the extremes (1/64 <= 2.5%); five: no interval exists (1/32 > 2.5%).
TEST(Confidence, MedianIntervalNeedsSixRuns) {
  EXPECT_EQ(*MedianInterval95({3, 1, 2, 6, 5, 4}), std::make_pair(1.0, 6.0));
  EXPECT_FALSE(MedianInterval95({1, 2, 3, 4, 5}).has_value());
  EXPECT_FALSE(MedianInterval95({}).has_value());
}

TEST(Confidence, MeanHalfWidthIsStudentsT) {
  EXPECT_EQ(MeanHalfWidth95({5}), 0);
  EXPECT_EQ(MeanHalfWidth95({4, 4, 4}), 0);
  // Two values 0 and 2: sd sqrt(2), t(1) = 12.706, half-width 12.706 * sqrt(2) / sqrt(2).
  EXPECT_NEAR(MeanHalfWidth95({0, 2}), 12.706, 0.01);
}

}  // namespace
}  // namespace kvlab::workloads
