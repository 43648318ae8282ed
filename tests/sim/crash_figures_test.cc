// The crash figures of `kvlab compare` (unavailability window, throughput dip), computed the same
// way for every policy from the crash records and the history (sim/run.cc AddCrashFigures): the
// leaderless policies serve through a node kill, raft pauses for an election when its leader dies.
#include <gtest/gtest.h>

#include "sim/compare.h"
#include "sim/run.h"

namespace kvlab::sim {
namespace {

// The failure scenario, shortened: open loop at 500 ops/s for 4.5 s, a kill at 1.5 s (of node 1,
// or of the leader), the restart at 3 s.
workloads::Scenario ShortFailure(const std::string& kill) {
  workloads::Scenario s = *workloads::FindScenario("failure");
  s.duration = core::Millis(4500);
  s.faults[0].at = core::Millis(1500);
  s.faults[0].kind = kill;
  s.faults[0].node = kill == "crash" ? 1 : core::kNoNode;
  s.faults[1].at = core::Seconds(3);
  s.faults[1].kind = "restart_all";
  s.faults[1].node = core::kNoNode;
  return s;
}

SimRunOutcome RunScenario(const workloads::Scenario& s, const std::string& policy) {
  SimRunOptions options;
  options.scenario = s;
  options.policy = *core::ParsePolicyChoice(policy);
  options.seed = 1;
  auto outcome = RunSimulation(options);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->ok()) << ::testing::PrintToString(outcome->problems);
  return *outcome;
}

TEST(CrashFiguresTest, LeaderlessPoliciesServeThroughANodeKill) {
  for (const char* policy : {"quorum", "abd"}) {
    const SimRunOutcome o = RunScenario(ShortFailure("crash"), policy);
    ASSERT_TRUE(o.report.metrics.contains("unavailability_s")) << policy;
    EXPECT_LT(o.report.metrics.at("unavailability_s"), 0.05) << policy << ": no election to wait for";
    ASSERT_TRUE(o.report.metrics.contains("throughput_dip")) << policy;
    const double dip = o.report.metrics.at("throughput_dip");
    EXPECT_GE(dip, 0) << policy;
    EXPECT_LT(dip, 1) << policy << ": the other nodes' clients kept being served";
  }
}

TEST(CrashFiguresTest, RaftLeaderKillShowsTheElectionGap) {
  const SimRunOutcome o = RunScenario(ShortFailure("crash_leader"), "raft");
  ASSERT_TRUE(o.report.metrics.contains("unavailability_s"));
  EXPECT_GT(o.report.metrics.at("unavailability_s"), 0.05) << "nothing commits until a new leader is elected";
  EXPECT_GT(o.report.metrics.at("throughput_dip"), 0);
}

TEST(CrashFiguresTest, DipsAreFormattedAsPercentages) {
  EXPECT_EQ(FormatDip({}), "-");
  EXPECT_EQ(FormatDip({0.1, 0.4, 0.25}), "median 25%, max 40% (3 runs)");
}

}  // namespace
}  // namespace kvlab::sim
