#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "sim/sim_runtime.h"
#include "tests/sim/test_nodes.h"

namespace kvlab::sim {
namespace {

using testing::EchoConfig;
using testing::EchoNode;
using testing::MakeEchoNode;
using testing::MakeSyncingNode;
using testing::SyncingNode;

struct RunResult {
  uint64_t hash = 0;
  int ok = 0;
  int unknown = 0;
};

// `clients` fibers each make `calls` sequential calls with a little think time.
RunResult RunEcho(uint64_t seed, int nodes, int clients, int calls, SimConfig config = EchoConfig()) {
  Simulator sim(config, "echo", nodes, seed, MakeEchoNode);
  EXPECT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  RunResult result;
  for (int c = 0; c < clients; ++c) {
    runtime.Spawn([&runtime, &result, c, calls] {
      auto client = runtime.Connect(c);
      for (int i = 0; i < calls; ++i) {
        auto r = client->Get("k" + std::to_string(i));
        if (r.outcome == workloads::Outcome::kOk) {
          EXPECT_EQ(r.result.value, "k" + std::to_string(i));
          ++result.ok;
        } else {
          ++result.unknown;
        }
        runtime.SleepUntil(runtime.Now() + core::Micros(10));
      }
    });
  }
  EXPECT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  result.hash = sim.trace().hash();
  return result;
}

TEST(SimulatorTest, EveryCallCompletesWithoutFaults) {
  RunResult r = RunEcho(1, 3, 10, 20);
  EXPECT_EQ(r.ok, 200);
  EXPECT_EQ(r.unknown, 0);
}

TEST(SimulatorTest, SameSeedGivesSameTraceHashAcrossFiftySeeds) {
  SimConfig config = EchoConfig();
  config.network.loss_ppm = 20'000;
  config.network.duplicate_ppm = 20'000;
  config.network.reorder_ppm = 20'000;
  std::vector<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    RunResult a = RunEcho(seed, 3, 4, 10, config);
    RunResult b = RunEcho(seed, 3, 4, 10, config);
    ASSERT_EQ(a.hash, b.hash) << "seed " << seed;
    hashes.push_back(a.hash);
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::unique(hashes.begin(), hashes.end()), hashes.end()) << "two seeds gave the same hash";
}

TEST(SimulatorTest, CrashedNodeTimesOutClientsAndRestartServesAgain) {
  Simulator sim(EchoConfig(), "echo", 1, 7, MakeEchoNode);
  ASSERT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  std::vector<workloads::Outcome> outcomes;
  runtime.Spawn([&] {
    auto client = runtime.Connect(0);
    outcomes.push_back(client->Get("a").outcome);
    sim.CrashNode(1, false);
    outcomes.push_back(client->Get("b").outcome);  // nobody answers: times out.
    ASSERT_TRUE(sim.RestartNode(1).ok());
    outcomes.push_back(client->Get("c").outcome);
  });
  ASSERT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  EXPECT_EQ(outcomes, (std::vector<workloads::Outcome>{workloads::Outcome::kOk, workloads::Outcome::kUnknown,
                                                       workloads::Outcome::kOk}));
  EXPECT_EQ(runtime.client_stats().timeouts, 1u);
  EXPECT_EQ(sim.node(1).stats().crashes, 1u);
}

TEST(SimulatorTest, CrashKeepsOnlySyncedDiskContents) {
  Simulator sim(EchoConfig(), "echo", 1, 9, MakeEchoNode);
  ASSERT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  runtime.Spawn([&] {
    auto client = runtime.Connect(0);
    for (int i = 0; i < 5; ++i) client->Get("k");
  });
  ASSERT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  // EchoNode syncs at the end of every turn, so all five appends are durable.
  ASSERT_TRUE(sim.node(1).sim_disk().Append("log", "unsynced").ok());
  sim.CrashNode(1, false);
  EXPECT_EQ(*sim.node(1).sim_disk().Read("log"), "xxxxx");
}

TEST(SimulatorTest, CrashDuringASyncLosesTheDataItWouldHaveMadeDurable) {
  SimConfig config = EchoConfig();
  config.disk.fsync_slow_ppm = 0;  // latency in [1 ms, 1.25 ms]: the sync runs at 1.5 ms.
  Simulator sim(config, "syncing", 1, 5, MakeSyncingNode);
  ASSERT_TRUE(sim.Start().ok());
  (void)sim.RunUntil([] { return false; }, core::Micros(1500));  // every event up to 1.5 ms.
  EXPECT_EQ(sim.node(1).sim_disk().queued_syncs(), 1u);
  EXPECT_EQ(static_cast<SyncingNode*>(sim.node(1).node())->syncs_done, 0);
  sim.CrashNode(1, false);
  EXPECT_EQ(sim.node(1).sim_disk().Read("log").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sim.node(1).sim_disk().stats().syncs_lost, 1u);
}

TEST(SimulatorTest, CompletedSyncIsDeliveredAsAnInputAndSurvivesCrash) {
  SimConfig config = EchoConfig();
  config.disk.fsync_slow_ppm = 0;
  Simulator sim(config, "syncing", 1, 5, MakeSyncingNode);
  ASSERT_TRUE(sim.Start().ok());
  (void)sim.RunUntil([] { return false; }, core::Millis(3));
  EXPECT_EQ(static_cast<SyncingNode*>(sim.node(1).node())->syncs_done, 1);
  sim.CrashNode(1, false);
  EXPECT_EQ(*sim.node(1).sim_disk().Read("log"), "x");
}

TEST(SimulatorTest, TimersFollowTheNodesDriftingClock) {
  SimConfig config = EchoConfig();
  Simulator sim(config, "echo", 1, 3, MakeEchoNode);
  sim.node(1).SetClock(0, 50'000);  // runs 5% fast.
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.RunUntil([&] { return sim.now() >= core::Millis(100); }).ok());
  auto* echo = static_cast<EchoNode*>(sim.node(1).node());
  // A 1 ms local period lasts ~0.952 ms of true time: ~105 timers in 100 ms, not 100.
  EXPECT_GE(echo->timers_fired, 103);
  EXPECT_LE(echo->timers_fired, 106);
  // The node's own clock shows the drift too.
  EXPECT_GT(echo->timer_times.back(), sim.now());
}

TEST(SimulatorTest, IsolatedNodeStopsReceivingPeerMessagesUntilHealed) {
  Simulator sim(EchoConfig(), "echo", 3, 5, MakeEchoNode);
  ASSERT_TRUE(sim.Start().ok());
  auto pings = [&](core::NodeId id) { return static_cast<EchoNode*>(sim.node(id).node())->pings_received; };
  ASSERT_TRUE(sim.RunUntil([&] { return sim.now() >= core::Millis(20); }).ok());
  EXPECT_GT(pings(2), 10);
  sim.IsolateNode(2);
  const int before = pings(2);
  ASSERT_TRUE(sim.RunUntil([&] { return sim.now() >= core::Millis(40); }).ok());
  // At most the messages already in flight when the partition began.
  EXPECT_LE(pings(2), before + 1);
  sim.HealNetwork();
  ASSERT_TRUE(sim.RunUntil([&] { return sim.now() >= core::Millis(60); }).ok());
  EXPECT_GT(pings(2), before + 10);
}

TEST(SimulatorTest, PausedNodeQueuesInputsAndServesThemOnResume) {
  Simulator sim(EchoConfig(), "echo", 1, 11, MakeEchoNode);
  ASSERT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  core::Nanos latency = 0;
  runtime.Spawn([&] {
    auto client = runtime.Connect(0);
    sim.PauseNode(1);
    const core::Nanos start = runtime.Now();
    auto r = client->Get("p");
    latency = runtime.Now() - start;
    EXPECT_EQ(r.outcome, workloads::Outcome::kOk);
  });
  runtime.Spawn([&] {
    runtime.SleepUntil(core::Millis(10));
    sim.ResumeNode(1);
  });
  ASSERT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  EXPECT_GE(latency, core::Millis(10));
}

}  // namespace
}  // namespace kvlab::sim
