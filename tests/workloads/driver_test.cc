#include "workloads/driver.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "gtest/gtest.h"
#include "tests/workloads/fake_runtime.h"
#include "workloads/checker.h"
#include "workloads/report.h"

namespace kvlab::workloads {
namespace {

using testing::FakeRuntime;

DriverResult RunOn(FakeRuntime& rt, const Scenario& s, uint64_t seed = 1) {
  DriverOptions options;
  options.seed = seed;
  Driver d(rt, s, options);
  d.Start();
  rt.Run();
  EXPECT_TRUE(d.Done());
  return d.Finish();
}

Scenario Small(const std::string& name) {
  Scenario s = *FindScenario(name);
  s.ops = std::min<uint64_t>(s.ops, 5000);
  return s;
}

TEST(Driver, ClosedLoopLatencyScenarioRunsSequentialPuts) {
  FakeRuntime rt;
  const DriverResult r = RunOn(rt, Small("latency"));
  EXPECT_EQ(r.report.ops, 1000u);
  EXPECT_EQ(r.report.errors, 0u);
  EXPECT_EQ(rt.max_in_flight, 1);
  EXPECT_NEAR(r.report.duration_s, 1.0, 1e-9);  // 1000 x 1 ms.
  EXPECT_NEAR(r.report.throughput_ops_s, 1000, 1e-6);
  EXPECT_NEAR(r.report.latency.p50_us, 1000, 10);
  EXPECT_EQ(r.report.by_op.count("put"), 1u);
  EXPECT_EQ(r.history.size(), 1000u);
  // Windows are [t, t + 100 ms) by completion time: the last put completes at exactly 1 s.
  ASSERT_EQ(r.report.timeline.size(), 11u);
  EXPECT_EQ(r.report.timeline[3].ops, 100u);
  EXPECT_EQ(r.report.timeline[10].ops, 1u);
  EXPECT_NEAR(r.report.timeline[3].p50_us, 1000, 10);
  EXPECT_NEAR(r.report.timeline[3].p99_us, 1000, 10);
}

TEST(Driver, ThroughputScenarioRunsAllClientsConcurrently) {
  FakeRuntime rt;
  const DriverResult r = RunOn(rt, Small("throughput"));
  EXPECT_EQ(r.report.ops, 1000u);
  EXPECT_EQ(rt.max_in_flight, 1000);
}

TEST(Driver, SemaphoreCapsRequestsInFlight) {
  FakeRuntime rt;
  const Scenario s = Small("high_concurrency");
  const DriverResult r = RunOn(rt, s);
  EXPECT_EQ(r.report.ops, 5000u);
  EXPECT_EQ(rt.max_in_flight, s.in_flight);
  EXPECT_NEAR(r.report.duration_s, 5000.0 / s.in_flight * 0.001, 1e-9);
}

TEST(Driver, PreloadWritesEveryKeyBeforeTheMeasuredRunAndHistoryChecksOut) {
  FakeRuntime rt;
  const Scenario s = Small("mixed");
  const DriverResult r = RunOn(rt, s);
  std::set<std::string> preloaded;
  for (const HistoryOp& op : r.history) {
    if (op.complete_ns <= r.measured_start) preloaded.insert(op.key);
  }
  EXPECT_EQ(preloaded.size(), s.keys);
  EXPECT_EQ(r.history.size(), s.keys + s.ops);
  EXPECT_EQ(r.report.ops, s.ops);
  EXPECT_NEAR(r.report.by_op.at("get").count / double(s.ops), 0.7, 0.05);
  const CheckResult check = CheckLinearizable(r.history);
  EXPECT_TRUE(check.ok) << FormatCheckResult(check);
}

TEST(Driver, SameSeedGivesTheSameHistory) {
  FakeRuntime a, b, c;
  const Scenario s = Small("ycsb_a");
  const auto ha = RunOn(a, s, 5).history;
  EXPECT_EQ(ha, RunOn(b, s, 5).history);
  EXPECT_NE(ha, RunOn(c, s, 6).history);
}

// Every invocation and completion carries a seq: one total order that follows each client's own
// sequence and never contradicts time.
TEST(Driver, RecordedSeqsAreOneOrderOfEveryEvent) {
  FakeRuntime rt;
  const DriverResult r = RunOn(rt, Small("mixed"));
  std::vector<std::pair<uint64_t, core::Nanos>> events;  // (seq, time)
  std::map<int, uint64_t> last_complete;                 // client -> seq of its last completion.
  for (const HistoryOp& op : r.history) {                // in completion order.
    ASSERT_LT(op.invoke_seq, op.complete_seq);
    EXPECT_LT(last_complete[op.client], op.invoke_seq) << "client " << op.client;
    last_complete[op.client] = op.complete_seq;
    events.emplace_back(op.invoke_seq, op.invoke_ns);
    events.emplace_back(op.complete_seq, op.complete_ns);
  }
  std::sort(events.begin(), events.end());
  ASSERT_EQ(events.size(), 2 * r.history.size());
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].first, i + 1);  // no gaps, no repeats.
    if (i > 0) {
      ASSERT_LE(events[i - 1].second, events[i].second);  // time never runs back along seqs.
    }
  }
}

// Issue 10: the driver records a completion and the client's next invocation at one instant. A
// server that hides a put from a get started at the instant it completed is caught, with the
// recorded seqs and without them (a client's own ops never overlap).
TEST(Driver, ClientsOwnStaleReadAtTheInstantItsPutCompletedIsCaught) {
  FakeRuntime rt;
  rt.hide_puts_of_this_instant = true;
  Scenario s = *FindScenario("latency");
  s.keys = 1;
  s.ops = 200;
  s.mix = OpMix{.read = 0.5, .update = 0.5};
  DriverResult r = RunOn(rt, s);
  const CheckResult check = CheckLinearizable(r.history);
  ASSERT_FALSE(check.ok);
  const std::vector<HistoryOp>& witness = check.violations[0].ops;
  EXPECT_EQ(witness.back().op, "get");
  EXPECT_EQ(witness.back().invoke_ns, witness[witness.size() - 2].complete_ns);
  for (HistoryOp& op : r.history) op.invoke_seq = op.complete_seq = 0;
  EXPECT_FALSE(CheckLinearizable(r.history).ok);
  EXPECT_GT(CheckEventual(r.history).staleness.stale_reads, 0u);
}

TEST(Driver, ReadModifyWriteAndInsertsIssueTheRightRequests) {
  FakeRuntime rt;
  const DriverResult f = RunOn(rt, Small("ycsb_f"));
  EXPECT_GT(f.report.ops, Small("ycsb_f").ops);  // each rmw is a get and a put.
  FakeRuntime rt2;
  const DriverResult d = RunOn(rt2, Small("ycsb_d"));
  EXPECT_GT(rt2.store.size(), Small("ycsb_d").keys);  // inserts grew the keyspace.
}

TEST(Driver, FailedAndUnknownOutcomesAreErrorsAndRecorded) {
  FakeRuntime rt;
  int n = 0;
  rt.outcome = [&n](const core::Command&) {
    ++n;
    return n % 10 == 0 ? Outcome::kUnknown : n % 10 == 5 ? Outcome::kFail : Outcome::kOk;
  };
  const DriverResult r = RunOn(rt, Small("latency"));
  EXPECT_EQ(r.report.errors, 200u);
  EXPECT_EQ(r.report.latency.count, 800u);
  int unknown = 0;
  for (const HistoryOp& op : r.history) unknown += op.result == OpResult::kUnknown;
  EXPECT_EQ(unknown, 100);
  EXPECT_TRUE(CheckLinearizable(r.history).ok);
  // Issue 15: the failures are counted by kind beside the percentiles, which cover successes only.
  EXPECT_EQ(r.report.errors_by_kind, (std::map<std::string, uint64_t>{{"timeout", 100}, {"unavailable", 100}}));
  EXPECT_NE(FormatReport(r.report).find("not in the percentiles: 200 failed (timeout 100, unavailable 100)"),
            std::string::npos)
      << FormatReport(r.report);
  EXPECT_EQ(ToJson(r.report)["errors_by_kind"]["timeout"], 100);
}

// Coordinated omission: the server stalls for 1 s in the middle of a 10 s run. A closed-loop
// client simply stops sending during the stall, so only ONE request sees it and p99 stays at the
// service time. The open-loop driver keeps the schedule (1000 req/s), so the ~1000 requests that
// were due during the stall are measured from their intended start: p99 reflects the stall.
TEST(Driver, OpenLoopP99ReflectsAStallThatClosedLoopHides) {
  Scenario s = *FindScenario("latency");
  s.ops = 0;
  s.duration = core::Seconds(10);
  auto stalled = [] {
    auto rt = std::make_unique<FakeRuntime>();
    rt->stall_from = core::Seconds(3);
    rt->stall_until = core::Seconds(4);
    return rt;
  };
  auto closed_rt = stalled();
  const DriverResult closed = RunOn(*closed_rt, s);
  s.arrival = Arrival::kOpen;
  s.rate_ops_s = 500;
  auto open_rt = stalled();
  const DriverResult open = RunOn(*open_rt, s);

  EXPECT_LT(closed.report.latency.p99_us, 2'000);      // the stall is invisible...
  EXPECT_GE(closed.report.latency.max_us, 1'000'000);  // ...except in the max.
  EXPECT_GT(open.report.latency.p99_us, 500'000);      // the stall dominates the tail.
  EXPECT_EQ(open.report.ops, 5000u);                   // the schedule was kept.
  // The closed loop's timeline shows the hole: windows during the stall have no completions.
  EXPECT_EQ(closed.report.timeline[35].ops, 0u);
  EXPECT_GT(closed.report.timeline[20].ops, 90u);
}

TEST(Driver, TickHookSeesEveryWindow) {
  FakeRuntime rt;
  int ticks = 0;
  Driver d(rt, Small("latency"),
           {.seed = 1, .record_history = false, .on_tick = [&](const TimelinePoint&) { ++ticks; }});
  d.Start();
  rt.Run();
  const DriverResult r = d.Finish();
  EXPECT_EQ(ticks, 10);  // the 11th window is partial: closed by Finish, not ticked.
  EXPECT_TRUE(r.history.empty());
}

}  // namespace
}  // namespace kvlab::workloads
