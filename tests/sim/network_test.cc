#include "sim/network.h"

#include <gtest/gtest.h>

namespace kvlab::sim {
namespace {

constexpr int kMessages = 100'000;

NetworkModel Quiet() {
  NetworkModel m;
  m.latency_ns = 1000;
  m.jitter_ns = 500;
  return m;
}

TEST(NetworkTest, LossRateIsWithinStatisticalBounds) {
  NetworkModel m = Quiet();
  m.loss_ppm = 100'000;  // 10%
  Network net(m, core::Rng(1));
  int lost = 0;
  for (int i = 0; i < kMessages; ++i) lost += net.Route(i, 1, 2, 100).empty();
  // Binomial(100000, 0.1): sd ~ 95; 6 sd either side.
  EXPECT_NEAR(lost, 10'000, 600);
  EXPECT_EQ(net.stats().lost, static_cast<uint64_t>(lost));
}

TEST(NetworkTest, DuplicationRateIsWithinStatisticalBounds) {
  NetworkModel m = Quiet();
  m.duplicate_ppm = 50'000;  // 5%
  Network net(m, core::Rng(2));
  int twice = 0;
  for (int i = 0; i < kMessages; ++i) twice += net.Route(i, 1, 2, 100).size() == 2;
  EXPECT_NEAR(twice, 5'000, 420);
}

TEST(NetworkTest, LinksAreFifoUnlessReordered) {
  Network net(Quiet(), core::Rng(3));
  core::Nanos last = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto at = net.Route(i * 10, 1, 2, 100);
    ASSERT_EQ(at.size(), 1u);
    EXPECT_GE(at[0], last);
    last = at[0];
  }
}

TEST(NetworkTest, ReorderingLetsMessagesOvertake) {
  NetworkModel m = Quiet();
  m.reorder_ppm = 200'000;
  Network net(m, core::Rng(4));
  int overtaken = 0;
  core::Nanos last = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto at = net.Route(i * 10, 1, 2, 100);
    overtaken += at[0] < last;
    last = std::max(last, at[0]);
  }
  EXPECT_GT(overtaken, 100);
}

TEST(NetworkTest, OneWayPartitionDropsOnlyThatDirection) {
  Network net(Quiet(), core::Rng(5));
  net.Block(1, 2);
  EXPECT_TRUE(net.Route(0, 1, 2, 10).empty());
  EXPECT_EQ(net.Route(0, 2, 1, 10).size(), 1u);
  EXPECT_EQ(net.Route(0, 1, 3, 10).size(), 1u);
  net.HealAll();
  EXPECT_EQ(net.Route(0, 1, 2, 10).size(), 1u);
  EXPECT_EQ(net.stats().blocked, 1u);
}

TEST(NetworkTest, BandwidthSerialisesLargeMessages) {
  NetworkModel m = Quiet();
  m.jitter_ns = 0;
  m.bandwidth_bytes_per_sec = 1'000'000;  // 1 MB/s: 1000 bytes take 1 ms.
  Network net(m, core::Rng(6));
  auto first = net.Route(0, 1, 2, 1000);
  auto second = net.Route(0, 1, 2, 1000);
  EXPECT_EQ(first[0], core::Millis(1) + 1000);
  EXPECT_EQ(second[0], core::Millis(2) + 1000);
}

TEST(NetworkTest, LatencyStaysWithinBasePlusJitter) {
  Network net(Quiet(), core::Rng(7));
  for (int i = 0; i < 1000; ++i) {
    // Sent far apart so FIFO clamping never applies.
    const core::Nanos sent = i * 1'000'000;
    auto at = net.Route(sent, 1, 2 + i % 3, 0);
    EXPECT_GE(at[0] - sent, 1000);
    EXPECT_LE(at[0] - sent, 1500);
  }
}

}  // namespace
}  // namespace kvlab::sim

namespace kvlab::sim {
namespace {

TEST(NetworkTest, ClientConnectionsNeverDuplicate) {
  NetworkModel m = Quiet();
  m.duplicate_ppm = 1'000'000;
  Network net(m, core::Rng(8));
  EXPECT_EQ(net.Route(0, 1, 2, 10, /*may_duplicate=*/false).size(), 1u);
  EXPECT_EQ(net.Route(0, 1, 2, 10, /*may_duplicate=*/true).size(), 2u);
}

}  // namespace
}  // namespace kvlab::sim
