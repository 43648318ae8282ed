#include "workloads/report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workloads/scenario.h"

namespace kvlab::workloads {
namespace {

using ::testing::HasSubstr;

RunReport Sample() {
  RunReport r;
  r.scenario = "mixed";
  r.policy = "raft";
  r.world = "sim";
  r.seed = 7;
  r.nodes = 3;
  r.ops = 100;
  r.errors = 2;
  r.duration_s = 1.5;
  r.throughput_ops_s = 65.3;
  Histogram h;
  for (int i = 1; i <= 100; ++i) h.Record(i * 1000);
  r.latency = Summarize(h);
  r.by_op["get"] = r.latency;
  r.timeline = {{.t_s = 0, .ops = 50, .errors = 1, .p50_us = 40, .p99_us = 99}};
  r.faults = {{.t_s = 0.5, .kind = "crash", .node = 1}};
  r.check = CheckSummary{.model = "linearizable", .ok = true, .violations = 0, .details = ""};
  return r;
}

TEST(Report, JsonHasEveryDesignField) {
  const nlohmann::json j = ToJson(Sample());
  for (const char* field : {"scenario", "policy", "world", "seed", "nodes", "ops", "errors", "duration_s",
                            "throughput_ops_s", "latency_us", "by_op", "timeline", "faults", "check"}) {
    EXPECT_TRUE(j.contains(field)) << field;
  }
  for (const char* p : {"mean", "p50", "p90", "p99", "p999", "max"}) {
    EXPECT_TRUE(j["latency_us"].contains(p)) << p;
  }
  EXPECT_NEAR(j["latency_us"]["p50"].get<double>(), 50.0, 0.5);  // histogram: <= 1% error.
  EXPECT_EQ(j["latency_us"]["max"], 100.0);
  EXPECT_EQ(j["timeline"][0]["ops"], 50);
  EXPECT_EQ(j["faults"][0]["kind"], "crash");
  EXPECT_EQ(j["check"]["ok"], true);
  EXPECT_FALSE(j.contains("trace_hash"));  // sim-only fields are optional.
  RunReport sim = Sample();
  sim.trace_hash = 0xabcull;
  sim.events = 12;
  sim.wall_s = 0.25;
  const nlohmann::json js = ToJson(sim);
  EXPECT_EQ(js["trace_hash"], "0000000000000abc");
  EXPECT_EQ(js["events"], 12);
}

TEST(Report, BenchmarkJsonCsvAndTextExports) {
  const nlohmann::json b = ToBenchmarkJson({Sample()});
  ASSERT_EQ(b["benchmarks"].size(), 2u);
  EXPECT_EQ(b["benchmarks"][0]["name"], "mixed/raft/sim");
  EXPECT_EQ(b["benchmarks"][1]["name"], "mixed/raft/sim_p99");
  EXPECT_EQ(b["benchmarks"][0]["time_unit"], "us");
  EXPECT_EQ(TimelineCsv(Sample()), "t_s,ops,errors,p50_us,p99_us\n0.000,50,1,40.0,99.0\n");
  const std::string text = FormatReport(Sample());
  EXPECT_THAT(text, HasSubstr("scenario mixed"));
  EXPECT_THAT(text, HasSubstr("fault at 0.500 s: crash node 1"));
  EXPECT_THAT(text, HasSubstr("check linearizable: OK"));
}

TEST(Report, ScheduledFaultsBecomeReportEvents) {
  const auto events = ScheduledFaultEvents(FindScenario("failure")->faults);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].t_s, 10.0);
  EXPECT_EQ(events[0].kind, "crash");
  EXPECT_EQ(events[1].kind, "restart");
  EXPECT_EQ(events[1].node, 1u);
}

}  // namespace
}  // namespace kvlab::workloads
