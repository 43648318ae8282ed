// The cost model's shared host (issue 15): wake-ups, shared cores and a shared sync device each
// move the simulated figures the way the real loopback machine does, and a profile without them
// is the old model.
#include <gtest/gtest.h>

#include "sim/run.h"
#include "sim/unit_pool.h"

namespace kvlab::sim {
namespace {

TEST(UnitPoolTest, NoUnitsMeansNoSharing) {
  UnitPool pool(0);
  EXPECT_FALSE(pool.shared());
  pool.Occupy(100, 1'000);
  EXPECT_EQ(pool.FreeAt(100), 100);
}

TEST(UnitPoolTest, WorkWaitsForTheFirstUnitToFree) {
  UnitPool pool(2);
  EXPECT_EQ(pool.FreeAt(0), 0);
  pool.Occupy(0, 500);
  EXPECT_EQ(pool.FreeAt(10), 10);  // the second unit is free.
  pool.Occupy(10, 300);
  EXPECT_EQ(pool.FreeAt(20), 310);  // both busy: the second frees first.
  pool.Occupy(310, 100);
  EXPECT_EQ(pool.FreeAt(320), 410);
  EXPECT_EQ(pool.FreeAt(1'000), 1'000);
}

// Seed 1 of a small built-in scenario on `policy` with `costs`; the run must pass its checks.
workloads::RunReport RunSeed1(const std::string& scenario, const std::string& policy, const ModelCosts& costs) {
  SimRunOptions options;
  absl::StatusOr<workloads::Scenario> s = workloads::FindScenario(scenario);
  EXPECT_TRUE(s.ok()) << s.status();
  options.scenario = *s;
  options.scenario.ops = 400;
  options.policy = *core::ParsePolicyChoice(policy);
  options.costs = costs;
  absl::StatusOr<SimRunOutcome> outcome = RunSimulation(options);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->ok()) << outcome->check_details;
  return outcome->report;
}

// The built-in costs without the shared host: no wake-up, no CPU per sync, nothing shared.
ModelCosts Unshared() {
  ModelCosts c = kLoopbackCosts;
  c.cpu_wake_ns = c.cpu_per_sync_ns = 0;
  c.cpu_cores = c.disk_devices = 0;
  return c;
}

TEST(HostModelTest, AnIdleNodeAndClientPayAWakeUp) {
  ModelCosts woken = Unshared();
  woken.cpu_wake_ns = 20'000;
  const double base = RunSeed1("latency", "single", Unshared()).latency.p50_us;
  const double with_wake = RunSeed1("latency", "single", woken).latency.p50_us;
  // One client, one request at a time: the node wakes for the request and for the sync's end,
  // its sync thread for the sync, the client for the reply.
  EXPECT_GE(with_wake - base, 60) << base << " -> " << with_wake;
}

TEST(HostModelTest, NodesOfOneHostShareItsCores) {
  ModelCosts one_core = Unshared();
  one_core.cpu_cores = 1;
  const double own = RunSeed1("mixed", "raft", Unshared()).throughput_ops_s;
  const double shared = RunSeed1("mixed", "raft", one_core).throughput_ops_s;
  EXPECT_LT(shared, own * 0.9) << own << " -> " << shared;
}

TEST(HostModelTest, SyncsOnOneDeviceWaitForEachOther) {
  ModelCosts one_disk = Unshared();
  one_disk.disk_devices = 1;
  const double own = RunSeed1("latency", "raft", Unshared()).latency.p50_us;
  const double shared = RunSeed1("latency", "raft", one_disk).latency.p50_us;
  // The leader's and the followers' syncs of one write start together: on one device the
  // majority's second sync ends a whole sync later.
  EXPECT_GT(shared - own, kLoopbackCosts.fsync.p50 / 2 / 1'000.0) << own << " -> " << shared;
}

TEST(HostModelTest, ASyncTakesACoreFromTheOthers) {
  ModelCosts one_core = Unshared();
  one_core.cpu_cores = 1;
  ModelCosts costly_syncs = one_core;
  costly_syncs.cpu_per_sync_ns = 200'000;
  const double cheap = RunSeed1("mixed", "raft", one_core).throughput_ops_s;
  const double costly = RunSeed1("mixed", "raft", costly_syncs).throughput_ops_s;
  // Three nodes' syncs on the one core the nodes' turns and the client need too.
  EXPECT_LT(costly, cheap * 0.9) << cheap << " -> " << costly;
}

}  // namespace
}  // namespace kvlab::sim
