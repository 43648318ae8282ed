#include "workloads/regression.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workloads/mann_whitney.h"

namespace kvlab::workloads {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json RunJson(const std::string& policy, int seed, double ops_s, double p99_us, double fsyncs_per_write) {
  return json{{"scenario", "mixed"},
              {"policy", policy},
              {"world", "sim"},
              {"seed", seed},
              {"throughput_ops_s", ops_s},
              {"latency_us", {{"p50", p99_us / 2}, {"p99", p99_us}}},
              {"metrics", {{"fsyncs_per_write", fsyncs_per_write}, {"syncs_lost", 3.0}}}};
}

TEST(MannWhitney, ExactPValueOfCompletelySeparatedSamplesIsOneOverTheCombinations) {
  // 5 and 5 values, every b above every a: P = 1 / C(10,5) = 1/252.
  const MannWhitney t = MannWhitneyGreater({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 25);
  EXPECT_NEAR(t.p_value, 1.0 / 252, 1e-12);
  EXPECT_NEAR(MannWhitneyGreater({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}).p_value, 1.0, 1e-12);
}

TEST(MannWhitney, TiesCountHalfAndIdenticalSamplesShowNothing) {
  const MannWhitney t = MannWhitneyGreater({5, 5, 5, 5, 5}, {5, 5, 5, 5, 5});
  EXPECT_DOUBLE_EQ(t.u, 12.5);
  EXPECT_NEAR(t.p_value, 1.0, 1e-12);  // every permutation has the same rank sum.
}

TEST(MannWhitney, NormalApproximationAgreesWithTheExactTestOnLargeSamples) {
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(i);
    b.push_back(i + 10.5);
  }
  const MannWhitney t = MannWhitneyGreater(a, b);
  EXPECT_FALSE(t.exact);
  EXPECT_LT(t.p_value, 0.05);
  EXPECT_GT(MannWhitneyGreater(b, a).p_value, 0.95);
}

TEST(Gate, IdenticalRunsPassAndAnyWorseningFailsAtZeroTolerance) {
  const std::vector<json> base = {RunJson("raft", 1, 1000, 500, 1.0), RunJson("single", 1, 2000, 300, 0.5)};
  EXPECT_TRUE(CompareToBaseline(base, base, 0).ok());
  const GateReport slower = CompareToBaseline(base, {RunJson("raft", 1, 999, 500, 1.0)}, 0);
  ASSERT_EQ(slower.regressions.size(), 1u);
  EXPECT_EQ(slower.regressions[0].figure, "throughput_ops_s");
  EXPECT_EQ(slower.regressions[0].key, "mixed/raft/sim seed 1");
  const GateReport more_fsyncs = CompareToBaseline(base, {RunJson("raft", 1, 1000, 500, 1.25)}, 0);
  ASSERT_EQ(more_fsyncs.regressions.size(), 1u);
  EXPECT_EQ(more_fsyncs.regressions[0].figure, "metrics.fsyncs_per_write");
  EXPECT_THAT(FormatGateReport(more_fsyncs), HasSubstr("REGRESSED"));
  EXPECT_THAT(FormatGateReport(more_fsyncs), HasSubstr("+25.00%"));
}

TEST(Gate, ToleranceAbsorbsSmallChangesAndImprovementsNeverFail) {
  const std::vector<json> base = {RunJson("raft", 1, 1000, 500, 1.0)};
  EXPECT_TRUE(CompareToBaseline(base, {RunJson("raft", 1, 990, 505, 1.0)}, 0.02).ok());
  EXPECT_FALSE(CompareToBaseline(base, {RunJson("raft", 1, 970, 500, 1.0)}, 0.02).ok());
  const GateReport faster = CompareToBaseline(base, {RunJson("raft", 1, 1100, 400, 0.9)}, 0);
  EXPECT_TRUE(faster.ok());
  EXPECT_EQ(faster.improvements.size(), 4u);  // throughput, p50, p99, fsyncs.
}

TEST(Gate, RunsWithoutBaselineAreListedNotFailedAndBaselineExtrasIgnored) {
  const std::vector<json> base = {RunJson("raft", 1, 1000, 500, 1.0), RunJson("raft", 2, 1000, 500, 1.0)};
  const GateReport r =
      CompareToBaseline(base, {RunJson("raft", 1, 1000, 500, 1.0), RunJson("newpolicy", 1, 1, 1e9, 9)}, 0);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.compared, 1);
  EXPECT_THAT(r.unmatched, ::testing::ElementsAre("mixed/newpolicy/sim seed 1"));
}

TEST(Gate, StatisticalGateFlagsAConsistentShiftButNotNoise) {
  std::vector<json> base, noise, slower;
  const double wobble[] = {0, 30, -20, 10, -30, 20};
  for (int i = 0; i < 6; ++i) {
    base.push_back(RunJson("raft", i, 1000 + wobble[i], 500, 1.0));
    noise.push_back(RunJson("raft", i + 10, 1000 - wobble[i] + 5, 500, 1.0));
    slower.push_back(RunJson("raft", i + 10, 900 + wobble[i], 500, 1.0));
  }
  auto same = StatisticalGate(base, noise, {});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->ok()) << FormatGateReport(*same);
  auto worse = StatisticalGate(base, slower, {});
  ASSERT_TRUE(worse.ok());
  ASSERT_EQ(worse->regressions.size(), 1u) << FormatGateReport(*worse);
  EXPECT_EQ(worse->regressions[0].figure, "throughput_ops_s");
  EXPECT_THAT(worse->regressions[0].note, HasSubstr("Mann-Whitney"));
}

TEST(Gate, StatisticalGateRefusesTooFewRuns) {
  std::vector<json> four;
  for (int i = 0; i < 4; ++i) four.push_back(RunJson("raft", i, 1000, 500, 1.0));
  auto r = StatisticalGate(four, four, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("at least 5"));
}

TEST(Gate, ToleranceParsesPercentagesAndRejectsNonsense) {
  EXPECT_DOUBLE_EQ(*ParseTolerance("2%"), 0.02);
  EXPECT_DOUBLE_EQ(*ParseTolerance("0"), 0);
  EXPECT_DOUBLE_EQ(*ParseTolerance("0.5%"), 0.005);
  for (const char* bad : {"", "%", "-1%", "abc", "2%%", "5000%", "nan"}) EXPECT_FALSE(ParseTolerance(bad).ok()) << bad;
}

TEST(Gate, LoadsArraysObjectsAndJsonLinesAndNamesBadFiles) {
  const std::string path = ::testing::TempDir() + "/gate_runs.jsonl";
  {
    std::ofstream out(path);
    out << RunJson("raft", 1, 1, 1, 1).dump() << "\n\n" << RunJson("raft", 2, 1, 1, 1).dump() << "\n";
  }
  auto lines = LoadRunReports(path);
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(lines->size(), 2u);
  {
    std::ofstream out(path);
    out << json::array({RunJson("raft", 1, 1, 1, 1)}).dump(2);
  }
  EXPECT_EQ(LoadRunReports(path)->size(), 1u);
  {
    std::ofstream out(path);
    out << "{\"scenario\":\n";
  }
  EXPECT_FALSE(LoadRunReports(path).ok());
  EXPECT_FALSE(LoadRunReports(::testing::TempDir()).ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kvlab::workloads
