#include "sim/shrink.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sim/test_nodes.h"

namespace kvlab::sim {
namespace {

workloads::FaultSpec Fault(core::Nanos at, const std::string& kind) {
  workloads::FaultSpec f;
  f.at = at;
  f.kind = kind;
  f.node = 3;
  return f;
}

// A run with scheduled faults, random crashes and a replica that diverges (a planted bug that
// fails the run whatever the faults): the shrink must keep the failure and lose the rest.
SimRunOptions Failing() {
  SimRunOptions o;
  o.scenario = *workloads::FindScenario("mixed");
  o.scenario.ops = 800;
  o.scenario.clients = 8;
  o.scenario.keys = 64;
  for (int i = 0; i < 4; ++i) {
    o.scenario.faults.push_back(Fault(core::Millis(5 + 20 * i), "crash"));
    o.scenario.faults.push_back(Fault(core::Millis(15 + 20 * i), "restart"));
  }
  o.policy = *core::ParsePolicyChoice("raft");
  o.node_factory = testing::PlantBug(o.policy, testing::PlantedBug::kDiverge);
  o.seed = 5;
  o.faults = FaultMode::kCrash;
  return o;
}

TEST(Shrink, PlantedBugShrinksToFewerFaultsAndOpsAndStillFailsTheSameWay) {
  const SimRunOptions start = Failing();
  auto result = Shrink(start, 60);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->outcome.ok());
  EXPECT_LT(result->after.faults, result->before.faults);
  EXPECT_LT(result->after.ops, result->before.ops);
  EXPECT_LT(result->after.scheduled_faults, result->before.scheduled_faults);
  EXPECT_EQ(result->after.random_faults, "none");
  EXPECT_FALSE(result->removed.empty());
  EXPECT_LE(result->runs, 60);
  // The smallest run replays: run alone, it fails the same way with the same trace.
  auto again = RunSimulation(result->smallest);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(FailureSignature(*again), result->signature);
  EXPECT_EQ(again->report.trace_hash, result->outcome.report.trace_hash);
}

TEST(Shrink, IsDeterministic) {
  auto a = Shrink(Failing(), 25), b = Shrink(Failing(), 25);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->removed, b->removed);
  EXPECT_EQ(a->outcome.report.trace_hash, b->outcome.report.trace_hash);
}

TEST(Shrink, APassingRunHasNothingToShrink) {
  SimRunOptions o = Failing();
  o.node_factory = nullptr;
  o.scenario.faults.clear();
  o.faults = FaultMode::kNone;
  auto result = Shrink(o, 10);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kvlab::sim
