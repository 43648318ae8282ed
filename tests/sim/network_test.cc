#include "sim/network.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

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
  EXPECT_TRUE(net.HealAll(0).empty());
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
// Issue 10 point 3: a buffering block (a stalled TCP link, or a hold) keeps what is sent and
// delivers it after the link reopens, late and out of order with newer messages.
TEST(NetworkTest, BufferingBlockHoldsMessagesAndReleasesThemLateAndOutOfOrder) {
  Network net(Quiet(), core::Rng(6));
  net.Block(1, 2, /*buffered=*/true);
  for (uint64_t i = 0; i < 200; ++i) {
    EXPECT_TRUE(net.Route(static_cast<core::Nanos>(i), 1, 2, 10).empty());
    ASSERT_TRUE(net.IsHeld(1, 2));
    net.Park(1, 2, i);
  }
  EXPECT_EQ(net.Route(0, 2, 1, 10).size(), 1u) << "only that direction is held";
  EXPECT_EQ(net.stats().held, 200u);
  EXPECT_EQ(net.held_now(), 200u);
  const core::Nanos reopen = core::Seconds(2);
  std::vector<Network::Released> released = net.Unblock(1, 2, reopen);
  ASSERT_EQ(released.size(), 200u);
  EXPECT_EQ(net.stats().released, 200u);
  EXPECT_EQ(net.held_now(), 0u);
  EXPECT_FALSE(net.IsBlocked(1, 2));
  // A message sent right after the release arrives before most of the held ones.
  auto fresh = net.Route(reopen, 1, 2, 10);
  ASSERT_EQ(fresh.size(), 1u);
  int overtaken_by_fresh = 0, inversions = 0;
  for (size_t i = 0; i < released.size(); ++i) {
    EXPECT_EQ(released[i].token, i) << "tokens come back in the order they were parked";
    EXPECT_GE(released[i].arrival, reopen + Quiet().latency_ns);
    EXPECT_LE(released[i].arrival, reopen + Quiet().latency_ns + Quiet().jitter_ns + NetworkModel{}.release_spread_ns);
    overtaken_by_fresh += released[i].arrival > fresh[0];
    if (i > 0) inversions += released[i].arrival < released[i - 1].arrival;
  }
  EXPECT_GT(overtaken_by_fresh, 150);
  EXPECT_GT(inversions, 50);
}

TEST(NetworkTest, HealAllReleasesEveryHeldLinkAndDropsNothingMore) {
  Network net(Quiet(), core::Rng(7));
  net.Block(1, 2, true);
  net.Block(3, 1, true);
  net.Block(2, 3);  // a dropping block: nothing to release.
  uint64_t token = 0;
  for (auto [from, to] : {std::pair{1u, 2u}, std::pair{3u, 1u}, std::pair{2u, 3u}}) {
    if (net.Route(0, from, to, 10).empty() && net.IsHeld(from, to)) net.Park(from, to, token++);
  }
  EXPECT_EQ(net.stats().held, 2u);
  EXPECT_EQ(net.stats().blocked, 1u);
  std::vector<Network::Released> released = net.HealAll(core::Millis(5));
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(net.Route(0, 2, 3, 10).size(), 1u);
  EXPECT_EQ(net.stats().released, 2u);
}

TEST(NetworkTest, ReblockingAHeldLinkAsDroppingKeepsWhatItHolds) {
  Network net(Quiet(), core::Rng(8));
  net.Block(1, 2, true);
  ASSERT_TRUE(net.Route(0, 1, 2, 10).empty());
  net.Park(1, 2, 42);
  net.Block(1, 2, false);
  EXPECT_TRUE(net.Route(0, 1, 2, 10).empty());
  EXPECT_FALSE(net.IsHeld(1, 2));
  EXPECT_EQ(net.stats().blocked, 1u);
  std::vector<Network::Released> released = net.Unblock(1, 2, 100);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].token, 42u);
}

}  // namespace kvlab::sim
