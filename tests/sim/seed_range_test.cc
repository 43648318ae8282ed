#include "sim/seed_range.h"

#include <gtest/gtest.h>

namespace kvlab::sim {
namespace {

TEST(SeedRangeTest, ParsesRangesAndSingleSeeds) {
  auto r = ParseSeedRange("3..7");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 3u);
  EXPECT_EQ(r->last, 7u);
  auto one = ParseSeedRange("42");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->first, 42u);
  EXPECT_EQ(one->last, 42u);
}

TEST(SeedRangeTest, RejectsMalformedRanges) {
  for (const char* bad : {"", "a..b", "5..3", "1..", "..2", "1...2", "-1..3"}) {
    auto r = ParseSeedRange(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(SeedRangeTest, ShardsPartitionTheRange) {
  SeedRange range{10, 29};
  std::vector<uint64_t> all;
  for (uint64_t i = 0; i < 3; ++i) {
    auto seeds = SeedsOfShard(range, Shard{i, 3});
    all.insert(all.end(), seeds.begin(), seeds.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(all[i], 10 + i);
}

TEST(SeedRangeTest, RejectsBadShards) {
  for (const char* bad : {"3/3", "1", "a/2", "0/0", "1/2/3"}) {
    EXPECT_EQ(ParseShard(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto ok = ParseShard("1/4");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->index, 1u);
  EXPECT_EQ(ok->count, 4u);
}

}  // namespace
}  // namespace kvlab::sim
