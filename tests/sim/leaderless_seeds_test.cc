// Seeds of the leaderless policies' sweeps that once failed, replayed (STYLE.md: every bug found by
// a seed becomes a regression test). Each names what was wrong.
#include <gtest/gtest.h>

#include "sim/run.h"

namespace kvlab::sim {
namespace {

// The model these seeds were found under (the built-in profile of 2026-12-03 08:19, before the
// shared-host model became the default, and before a dead process's closed connections reached
// its clients): a seed replays its history only under its own model, so the defaults may move
// without these tests losing what they replay.
void UseModelOfTheSeeds(SimRunOptions& options) {
  workloads::SimParams& p = options.scenario.sim;
  p.net_latency_us = 7;
  p.net_jitter_us = 3;
  p.disk_write_us = 7;
  p.disk_fsync_us = 158;
  p.cpu_event_ns = 569;
  p.cpu_per_byte_ns = 1;
  options.costs = ModelCosts{
      .fsync =
          {.min = 67'269, .p50 = 157'614, .p90 = 2'288'027, .p99 = 4'302'047, .p999 = 7'766'440, .max = 31'079'229},
      .cpu_per_message_ns = 10'486,
      .client_cpu_per_op_ns = 7'400,
  };
  options.close_reaches_clients = false;
}

SimRunOutcome RunSweepSeed(const std::string& policy, FaultMode faults, uint64_t seed) {
  auto scenario = workloads::FindScenario(KVLAB_SOURCE_DIR "/scenarios/sweep.toml");
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  SimRunOptions options;
  options.scenario = *scenario;
  UseModelOfTheSeeds(options);
  options.policy = *core::ParsePolicyChoice(policy);
  options.seed = seed;
  options.faults = faults;
  auto outcome = RunSimulation(options);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return *outcome;
}

std::string Why(const SimRunOutcome& o) { return ::testing::PrintToString(o.problems) + "\n" + o.check_details; }

// The key-by-key convergence wait stepped 10 ms at a time and stopped at the first step with no
// event in it, before the replicas' next anti-entropy round: k30 "diverged" after 0 s of settling.
// Once that waited, the read-back's read of k30 (taken before convergence) disagreed with the
// clients' final reads: the read-back's client takes a final read too.
TEST(LeaderlessSeedsTest, QuorumCrashSeed141WaitsForTheNextAntiEntropyRound) {
  const SimRunOutcome o = RunSweepSeed("quorum", FaultMode::kCrash, 141);
  EXPECT_TRUE(o.ok()) << Why(o);
  EXPECT_GT(o.report.metrics.at("convergence_s"), 0);
}

// A write that timed out (unknown) reached one replica that then crashed, came back, and spread it
// by anti-entropy after two clients' last reads had returned the older value: their final reads
// came before the cluster could converge. The final reads are now taken after convergence.
TEST(LeaderlessSeedsTest, QuorumCrashSeed850FinalReadsComeAfterConvergence) {
  const SimRunOutcome o = RunSweepSeed("quorum", FaultMode::kCrash, 850);
  EXPECT_TRUE(o.ok()) << Why(o);
  EXPECT_GT(o.report.metrics.at("final_reads"), 0);
}

// The same under network faults: the coordinator of an unknown write (k10) held all its links
// until the quiesce, so the clients' last reads during the hold missed that write.
TEST(LeaderlessSeedsTest, QuorumNetworkSeed400FinalReadsComeAfterConvergence) {
  const SimRunOutcome o = RunSweepSeed("quorum", FaultMode::kNetwork, 400);
  EXPECT_TRUE(o.ok()) << Why(o);
}

// Linearizable policies are checked without the final reads (their reads never disagree).
TEST(LeaderlessSeedsTest, AbdRunsTakeNoFinalReads) {
  const SimRunOutcome o = RunSweepSeed("abd", FaultMode::kCrash, 141);
  EXPECT_TRUE(o.ok()) << Why(o);
  EXPECT_EQ(o.report.metrics.count("final_reads"), 0u);
}

}  // namespace
}  // namespace kvlab::sim
