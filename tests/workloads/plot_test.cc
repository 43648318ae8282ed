#include "workloads/plot.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvlab::workloads {
namespace {

using ::testing::HasSubstr;

nlohmann::json RunJson(const std::string& policy, int seed, double ops_s) {
  return {
      {"scenario", "failure"},
      {"policy", policy},
      {"world", "sim"},
      {"seed", seed},
      {"duration_s", 0.4},
      {"throughput_ops_s", ops_s},
      {"latency_us", {{"p50", 900.0}, {"p90", 1500.0}, {"p99", 4000.0}, {"max", 9000.0}}},
      {"timeline",
       {{{"t_s", 0.0}, {"ops", 50}, {"p50_us", 400.0}, {"p99_us", 1000.0}},
        {{"t_s", 0.1}, {"ops", 0}, {"p99_us", 0.0}},
        {{"t_s", 0.2}, {"ops", 40}, {"p50_us", 700.0}, {"p99_us", 2000.0}}}},
      {"faults", {{{"t_s", 0.1}, {"kind", "crash"}, {"node", 2}}, {{"t_s", 0.2}, {"kind", "restart"}, {"node", 2}}}}};
}

TEST(Plot, OverTimeShadesFaultWindowsMarksEventsAndDrawsOneLinePerPolicy) {
  const auto scripts = PlotScripts({RunJson("raft", 1, 400), RunJson("single", 1, 500)}, "out");
  ASSERT_EQ(scripts.size(), 4u);  // throughput, latency, cdf for the one scenario, and the bars.
  const std::string& gp = scripts[0].script;
  EXPECT_EQ(scripts[0].name, "failure-throughput");
  EXPECT_THAT(gp, HasSubstr("set output 'out/failure-throughput.png'"));
  EXPECT_THAT(gp, HasSubstr("set object 1 rect from 0.1000, graph 0 to 0.2000, graph 1"));  // crash -> restart.
  EXPECT_THAT(gp, HasSubstr("\"crash n2\""));
  EXPECT_THAT(gp, HasSubstr("0.0000 500"));  // 50 ops in 100 ms.
  EXPECT_THAT(gp, HasSubstr("title \"raft\""));
  EXPECT_THAT(gp, HasSubstr("title \"single\""));
  EXPECT_THAT(gp, HasSubstr("xlabel 'time since the measured run began (s)'"));
  EXPECT_THAT(scripts[1].script, HasSubstr("ylabel 'latency (ms, log scale)'"));
  EXPECT_THAT(scripts[1].script, HasSubstr("0.2000 0.7 2\n"));  // p50 and p99 of the third window, in ms.
  EXPECT_THAT(scripts[1].script, HasSubstr("title \"raft p50\""));
  EXPECT_THAT(scripts[1].script, HasSubstr("title \"raft p99\""));
  EXPECT_THAT(scripts[2].script, HasSubstr("0.9 0.5000"));  // p50 900 us = 0.9 ms at F = 0.5.
}

TEST(Plot, BarsCarryA95PercentConfidenceIntervalFromEverySeed) {
  const auto scripts = PlotScripts({RunJson("raft", 1, 400), RunJson("raft", 2, 600)}, "out");
  const std::string& bars = scripts.back().script;
  // mean 500, sd 141.42, n 2: half-width 12.706 * 141.42 / sqrt(2) = 1270.6, lower end floored at 1% of the mean.
  EXPECT_THAT(bars, HasSubstr("\"failure\" 500 5 1770.6"));
  EXPECT_DOUBLE_EQ(T95(1), 12.706);
  EXPECT_DOUBLE_EQ(T95(4), 2.776);
  EXPECT_DOUBLE_EQ(T95(1000), 1.96);
}

}  // namespace
}  // namespace kvlab::workloads
