// A scheduled fault (a scenario's [[faults]]) is applied, refused when the schedule is read, or
// listed in the run's report as skipped with its reason: never silently dropped.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sim/run.h"

namespace kvlab::sim {
namespace {

constexpr char kBase[] = "base = \"mixed\"\nname = \"faulty\"\nkeys = 40\nclients = 8\nops = 3000\n";

absl::StatusOr<SimRunOutcome> RunToml(const std::string& faults, const std::string& policy = "raft") {
  auto scenario = workloads::LoadScenarioString(std::string(kBase) + faults, "faulty.toml");
  if (!scenario.ok()) return scenario.status();
  SimRunOptions options;
  options.scenario = *scenario;
  options.policy = *core::ParsePolicyChoice(policy);
  options.seed = 3;
  return RunSimulation(options);
}

int CountFaults(const SimRunOutcome& o, const std::string& kind) {
  return static_cast<int>(std::count_if(o.report.faults.begin(), o.report.faults.end(),
                                        [&](const workloads::FaultEvent& f) { return f.kind == kind; }));
}

bool HasNote(const SimRunOutcome& o, const std::string& text) {
  return std::any_of(o.notes.begin(), o.notes.end(),
                     [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

// A heal names no node: it heals every partition (it was resolved as a fault of node 0 and dropped).
TEST(ScheduledFaultsTest, HealWithoutANodeHealsTheWholeNetwork) {
  const auto o = RunToml(
      "[[faults]]\nat = \"20ms\"\nkind = \"partition\"\nnodes = [3]\n"
      "[[faults]]\nat = \"60ms\"\nkind = \"heal\"\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(CountFaults(*o, "heal"), 1) << ::testing::PrintToString(o->notes);
  EXPECT_EQ(CountFaults(*o, "skipped"), 0);
  EXPECT_TRUE(o->ok()) << ::testing::PrintToString(o->problems);
}

TEST(ScheduledFaultsTest, CrashOfANodeAlreadyDownIsReportedSkipped) {
  const auto o = RunToml(
      "[[faults]]\nat = \"20ms\"\nkind = \"crash\"\nnode = 2\n"
      "[[faults]]\nat = \"30ms\"\nkind = \"crash\"\nnode = 2\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(CountFaults(*o, "skipped"), 1);
  EXPECT_TRUE(HasNote(*o, "crash: the node is already down")) << ::testing::PrintToString(o->notes);
  EXPECT_EQ(o->report.metrics.at("faults_skipped"), 1);
}

TEST(ScheduledFaultsTest, CrashLeaderWithoutALeaderIsReportedSkipped) {
  const auto o = RunToml("[[faults]]\nat = \"20ms\"\nkind = \"crash_leader\"\n", "quorum");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(HasNote(*o, "crash_leader: no node leads now")) << ::testing::PrintToString(o->notes);
}

TEST(ScheduledFaultsTest, FaultDueAfterTheWorkloadEndedIsReportedSkipped) {
  const auto o = RunToml("[[faults]]\nat = \"100s\"\nkind = \"crash\"\nnode = 1\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(HasNote(*o, "after the workload ended")) << ::testing::PrintToString(o->notes);
  EXPECT_EQ(CountFaults(*o, "crash"), 0);
}

TEST(ScheduledFaultsTest, PartitionNamingANodeOutsideTheClusterIsRefused) {
  const auto o = RunToml("[[faults]]\nat = \"20ms\"\nkind = \"partition\"\nnodes = [7]\n");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(o.status().message()).find("names node 7"), std::string::npos) << o.status();
}

TEST(ScheduledFaultsTest, PartitionOfEveryNodeIsRefused) {
  const auto o = RunToml("[[faults]]\nat = \"20ms\"\nkind = \"partition\"\nnodes = [1, 2, 3]\n");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(o.status().message()).find("cuts nothing off"), std::string::npos) << o.status();
}

// `exit = true` makes a crash a process exit, as the real nemesis's SIGKILL is: the followers see
// the leader's connections close and stand for election at once, well inside raft's shortest
// election timeout (150 ms), on every seed (a drawn crash is a machine's half the time), and its
// clients' connections close as well.
TEST(ScheduledFaultsTest, AnExitingLeaderIsSeenGoneAtOnce) {
  auto scenario = workloads::LoadScenarioString(
      std::string(kBase) + "[[faults]]\nat = \"30ms\"\nkind = \"crash_leader\"\nexit = true\n", "exit.toml");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SimRunOptions options;
    options.scenario = *scenario;
    options.policy = *core::ParsePolicyChoice("raft");
    options.seed = seed;
    const absl::StatusOr<SimRunOutcome> o = RunSimulation(options);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_TRUE(o->ok()) << o->check_details;
    ASSERT_EQ(CountFaults(*o, "crash"), 1) << "seed " << seed;
    EXPECT_LT(o->report.metrics.at("unavailability_s"), 0.15) << "seed " << seed;
    // Its clients see their connections close too: a call in flight when it died ends at once
    // (outcome unknown) and the client goes to another node, as the real client does; none waits
    // out its request timeout on the dead node.
    const auto crash = std::find_if(o->report.faults.begin(), o->report.faults.end(),
                                    [](const workloads::FaultEvent& f) { return f.kind == "crash"; });
    const auto crashed_at =
        static_cast<core::Nanos>((o->report.metrics.at("measured_start_s") + crash->t_s) * core::kNanosPerSecond);
    for (const workloads::HistoryOp& h : o->history) {
      if (h.invoke_ns > crashed_at || h.complete_ns < crashed_at) continue;
      EXPECT_LT(h.complete_ns - crashed_at, core::Millis(150)) << "seed " << seed << " client " << h.client;
    }
  }
}

TEST(ScheduledFaultsTest, ExitIsForCrashesOnly) {
  const auto o = RunToml("[[faults]]\nat = \"20ms\"\nkind = \"pause\"\nnode = 2\nexit = true\n");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(std::string(o.status().message()).find("'exit' is for crash"), std::string::npos) << o.status();
}

}  // namespace
}  // namespace kvlab::sim
