#include "workloads/checker.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/rng.h"
#include "gtest/gtest.h"
#include "tests/workloads/same_verdict.h"
#include "workloads/history_order.h"
#include "workloads/synthetic_history.h"

namespace kvlab::workloads {
namespace {

using testing::ExpectSameVerdict;

HistoryOp Put(int client, std::string key, std::string v, core::Nanos a, core::Nanos b, OpResult r = OpResult::kOk) {
  return {.client = client, .op = "put", .key = key, .value = v, .invoke_ns = a, .complete_ns = b, .result = r};
}
HistoryOp Get(int client, std::string key, std::optional<std::string> v, core::Nanos a, core::Nanos b,
              OpResult r = OpResult::kOk) {
  return {.client = client, .op = "get", .key = key, .value = v, .invoke_ns = a, .complete_ns = b, .result = r};
}

// `op` stamped with seqs: the place of its invocation and completion in the run's event order.
HistoryOp Seqs(HistoryOp op, uint64_t invoke_seq, uint64_t complete_seq) {
  op.invoke_seq = invoke_seq;
  op.complete_seq = complete_seq;
  return op;
}

CheckOptions SearchOnly() {
  CheckOptions o;
  o.use_zone_test = false;
  return o;
}

// Both algorithms must give the same verdict on every hand-written history.
bool Linearizable(const std::vector<HistoryOp>& h) {
  const bool zones = CheckLinearizable(h).ok;
  EXPECT_EQ(CheckLinearizable(h, SearchOnly()).ok, zones);
  return zones;
}

TEST(Linearizability, SequentialHistoryIsAccepted) {
  EXPECT_TRUE(Linearizable({Get(1, "x", std::nullopt, 0, 1), Put(1, "x", "a", 2, 3), Get(2, "x", "a", 4, 5),
                            Put(2, "x", "b", 6, 7), Get(1, "x", "b", 8, 9)}));
}

TEST(Linearizability, StaleReadIsRejectedWithASmallWitness) {
  const std::vector<HistoryOp> h = {Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30), Get(2, "x", "a", 40, 50),
                                    Get(3, "y", std::nullopt, 0, 1)};
  const CheckResult r = CheckLinearizable(h);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].key, "x");
  EXPECT_EQ(r.violations[0].ops.size(), 3u);  // both writes and the stale read.
  EXPECT_EQ(r.keys_checked, 2u);
}

TEST(Linearizability, LostWriteIsRejected) {
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10), Get(2, "x", std::nullopt, 20, 30)}));
}

TEST(Linearizability, ReadOfValueNeverWrittenIsRejected) {
  const CheckResult r = CheckLinearizable({Put(1, "x", "a", 0, 10), Get(2, "x", "zzz", 20, 30)});
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].reason, "a read returned a value that was never written");
}

TEST(Linearizability, ConcurrentWritesMayTakeEffectInEitherOrder) {
  // a and b overlap: readers may see them in either order, but all readers must agree.
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15), Get(3, "x", "a", 20, 25)}));
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15), Get(3, "x", "b", 20, 25)}));
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15), Get(3, "x", "a", 20, 25),
                             Get(3, "x", "b", 30, 35), Get(4, "x", "a", 40, 45)}));
  // A read concurrent with a write may see the old or the new value.
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30), Get(2, "x", "a", 15, 25)}));
}

TEST(Linearizability, FailedWritesNeverTakeEffect) {
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kFail), Get(2, "x", "a", 20, 30)}));
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kFail), Get(2, "x", std::nullopt, 20, 30)}));
}

TEST(Linearizability, UnknownWriteMayTakeEffectLateOrNever) {
  // Seen long after it timed out: fine, it may have been applied late.
  EXPECT_TRUE(Linearizable(
      {Put(1, "x", "a", 0, 10, OpResult::kUnknown), Get(2, "x", std::nullopt, 20, 30), Get(2, "x", "a", 100, 110)}));
  // Never seen: fine too.
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kUnknown), Get(2, "x", std::nullopt, 20, 30)}));
}

TEST(Linearizability, UnknownWriteCannotTakeEffectBeforeItsInvoke) {
  EXPECT_FALSE(Linearizable({Get(2, "x", "a", 0, 5), Put(1, "x", "a", 10, 20, OpResult::kUnknown)}));
}

TEST(Linearizability, UnknownWriteThatMustHaveTakenEffectCannotUndoLaterWrites) {
  // a (unknown) is seen, then b is written and read; a cannot be read again after b.
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kUnknown), Get(2, "x", "a", 20, 30),
                             Put(2, "x", "b", 40, 50), Get(2, "x", "b", 60, 70), Get(3, "x", "a", 80, 90)}));
}

// Issue 10: the driver records a completion and the same client's next invocation at the same
// virtual nanosecond. A client's own ops are sequential, so its get must see its put.
TEST(Linearizability, OwnReadThatMissesTheClientsPutAtTheSameInstantIsRejected) {
  EXPECT_FALSE(Linearizable({Put(0, "k", "v1", 0, 10), Get(0, "k", std::nullopt, 10, 20)}));
  EXPECT_FALSE(Linearizable({Seqs(Put(0, "k", "v1", 0, 10), 1, 2), Seqs(Get(0, "k", std::nullopt, 10, 20), 3, 4)}));
  EXPECT_TRUE(Linearizable({Put(0, "k", "v1", 0, 10), Get(0, "k", "v1", 10, 20)}));
}

TEST(Linearizability, OtherClientsOpsAtTheSameInstantWithoutSeqsAreConcurrent) {
  EXPECT_TRUE(Linearizable({Put(0, "k", "v1", 0, 10), Get(1, "k", std::nullopt, 10, 20)}));
}

TEST(Linearizability, SeqsOrderOtherClientsOpsAtTheSameInstant) {
  // The put completed (seq 2) before client 1's get was invoked (seq 3): the get must see it.
  EXPECT_FALSE(Linearizable({Seqs(Put(0, "k", "v1", 0, 10), 1, 2), Seqs(Get(1, "k", std::nullopt, 10, 20), 3, 4)}));
  // The get was invoked first (seq 2): the two overlap, and it may miss the put.
  EXPECT_TRUE(Linearizable({Seqs(Put(0, "k", "v1", 0, 10), 1, 3), Seqs(Get(1, "k", std::nullopt, 10, 20), 2, 4)}));
  // Seqs decide even against the clients' numbering: client 1's put, then client 0's stale get.
  EXPECT_FALSE(Linearizable({Seqs(Get(0, "k", std::nullopt, 10, 20), 3, 4), Seqs(Put(1, "k", "v1", 0, 10), 1, 2)}));
}

TEST(Linearizability, ViolationListsItsOpsInTheHistorysOrder) {
  // Same times, seq order put(b) -> get(a): the witness lists the put of b before the stale get.
  const CheckResult r = CheckLinearizable(
      {Seqs(Put(0, "x", "a", 0, 5), 1, 2), Seqs(Get(1, "x", "a", 10, 20), 5, 6), Seqs(Put(2, "x", "b", 10, 10), 3, 4)});
  ASSERT_EQ(r.violations.size(), 1u);
  ASSERT_EQ(r.violations[0].ops.size(), 3u);
  EXPECT_EQ(r.violations[0].ops[1].value, "b");
  EXPECT_EQ(r.violations[0].ops[2].op, "get");
}

TEST(Linearizability, DelIsAPutOfAbsent) {
  HistoryOp del{.client = 1,
                .op = "del",
                .key = "x",
                .value = std::nullopt,
                .invoke_ns = 20,
                .complete_ns = 30,
                .result = OpResult::kOk};
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), del, Get(2, "x", std::nullopt, 40, 50)}));
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10), del, Get(2, "x", "a", 40, 50)}));
}

// --- Randomized: histories of an atomic register, and one-read mutations of them -----------------

// A brute-force oracle for small single-key histories: tries every real-time-respecting order.
bool BruteForce(const std::vector<HistoryOp>& ops, std::vector<bool>& done, std::optional<std::string> state,
                size_t required_left) {
  if (required_left == 0) return true;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (done[i]) continue;
    bool minimal = true;  // no undone required op must precede i.
    for (size_t j = 0; j < ops.size() && minimal; ++j) {
      minimal = done[j] || j == i || ops[j].result != OpResult::kOk || ops[j].complete_ns >= ops[i].invoke_ns;
    }
    if (!minimal) continue;
    const bool write = ops[i].op == "put";
    if (!write && ops[i].value != state) continue;
    done[i] = true;
    const bool ok =
        BruteForce(ops, done, write ? ops[i].value : state, required_left - (ops[i].result == OpResult::kOk));
    done[i] = false;
    if (ok) return true;
  }
  return false;
}

// Real-time order as the checker sees it: ranks over the whole history (history_order.h), then
// failed ops and unanswered reads dropped.
bool Oracle(std::vector<HistoryOp> ops) {
  const EventRanks ranks = RankEvents(ops);
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].invoke_ns = ranks.invoke[i];
    ops[i].complete_ns = ranks.complete[i];
  }
  std::erase_if(ops, [](const HistoryOp& o) {
    return o.result == OpResult::kFail || (o.op == "get" && o.result == OpResult::kUnknown);
  });
  std::vector<bool> done(ops.size(), false);
  const size_t required =
      std::count_if(ops.begin(), ops.end(), [](const HistoryOp& o) { return o.result == OpResult::kOk; });
  return BruteForce(ops, done, std::nullopt, required);
}

std::vector<HistoryOp> AtomicRegisterHistory(core::Rng& rng, int clients, int ops_per_client, int keys) {
  return workloads::AtomicRegisterHistory(
      rng,
      {.clients = clients, .ops_per_client = ops_per_client, .keys = keys, .unknown_ppm = 50'000, .fail_ppm = 50'000});
}

TEST(LinearizabilityRandomized, AtomicRegisterHistoriesAreAlwaysAccepted) {
  core::Rng rng(2024);
  for (int round = 0; round < 300; ++round) {
    const auto h = AtomicRegisterHistory(rng, 1 + rng.Uniform(6), 1 + rng.Uniform(8), 1 + rng.Uniform(3));
    const CheckResult r = CheckLinearizable(h);
    ASSERT_TRUE(r.ok) << "round " << round << "\n" << FormatCheckResult(r);
    ASSERT_TRUE(CheckLinearizable(h, SearchOnly()).ok) << "round " << round;
  }
}

// Stamps seqs that break every tie of times at random, as a run's recorder could have: each
// client's events keep its own order (an op's call before its return, before its next call).
std::vector<HistoryOp> WithRandomSeqs(std::vector<HistoryOp> h, core::Rng& rng) {
  struct E {
    core::Nanos t;
    uint64_t shuffle;
    size_t op;
    bool ret;
  };
  std::vector<E> es;
  for (size_t i = 0; i < h.size(); ++i) {
    es.push_back({h[i].invoke_ns, rng.Next(), i, false});
    es.push_back({h[i].complete_ns, rng.Next(), i, true});
  }
  std::sort(es.begin(), es.end(),
            [](const E& a, const E& b) { return std::tie(a.t, a.shuffle) < std::tie(b.t, b.shuffle); });
  // Within one instant, each client's slots go back to its events in its own order (a client's
  // ops are in history order in synthetic histories).
  for (size_t begin = 0, end = 0; begin < es.size(); begin = end) {
    for (end = begin; end < es.size() && es[end].t == es[begin].t; ++end) {
    }
    std::map<int, std::vector<size_t>> slots;
    for (size_t e = begin; e < end; ++e) slots[h[es[e].op].client].push_back(e);
    for (const auto& [client, where] : slots) {
      std::vector<E> mine;
      for (size_t e : where) mine.push_back(es[e]);
      std::sort(mine.begin(), mine.end(),
                [](const E& a, const E& b) { return std::tie(a.op, a.ret) < std::tie(b.op, b.ret); });
      for (size_t k = 0; k < where.size(); ++k) es[where[k]] = mine[k];
    }
  }
  for (size_t e = 0; e < es.size(); ++e) {
    HistoryOp& op = h[es[e].op];
    (es[e].ret ? op.complete_seq : op.invoke_seq) = e + 1;
  }
  return h;
}

TEST(LinearizabilityRandomized, ChangingOneReadIsRejectedExactlyWhenTheOracleSaysSo) {
  core::Rng rng(77);
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    auto h = AtomicRegisterHistory(rng, 2 + rng.Uniform(3), 1 + rng.Uniform(3), 1);
    if (round % 2 == 1) h = WithRandomSeqs(std::move(h), rng);  // ties broken by seqs.
    std::vector<size_t> reads;
    std::vector<std::optional<std::string>> values = {std::nullopt};
    for (size_t i = 0; i < h.size(); ++i) {
      if (h[i].op == "get" && h[i].result == OpResult::kOk) reads.push_back(i);
      if (h[i].op == "put") values.push_back(h[i].value);
    }
    if (reads.empty()) continue;
    HistoryOp& read = h[reads[rng.Uniform(reads.size())]];
    read.value = values[rng.Uniform(values.size())];
    const bool expected = Oracle(h);
    ASSERT_EQ(CheckLinearizable(h).ok, expected) << "round " << round;
    ASSERT_EQ(CheckLinearizable(h, SearchOnly()).ok, expected) << "round " << round;
    rejected += !expected;
  }
  EXPECT_GT(rejected, 250);  // the mutation really produces non-linearizable histories.
}

TEST(LinearizabilityRandomized, HotKeyWithHundredConcurrentClientsIsDecidedByZones) {
  core::Rng rng(3);
  const auto h = AtomicRegisterHistory(rng, 100, 100, 1);
  EXPECT_TRUE(CheckLinearizable(h).ok);
}

TEST(LinearizabilityRandomized, HundredThousandOpsOverThousandKeysAreChecked) {
  core::Rng rng(9);
  const auto h = AtomicRegisterHistory(rng, 100, 1000, 1000);
  const CheckResult r = CheckLinearizable(h);
  EXPECT_TRUE(r.ok) << FormatCheckResult(r);
  EXPECT_EQ(r.ops_checked, 100'000u);
  EXPECT_EQ(r.keys_checked, 1000u);
}

// The keys split over threads give the serial verdict: the same violations (the first
// max_violations in key order, each shrunk the same way), inconclusive keys and counts.
TEST(LinearizabilityRandomized, ThreadsGiveTheSerialVerdict) {
  core::Rng rng(41);
  auto h = AtomicRegisterHistory(rng, 20, 200, 60);
  // Every fifth ok read returns a value never written: a violation on every key, more
  // than max_violations of them, spread over every thread's share.
  int reads = 0;
  for (HistoryOp& op : h) {
    if (op.op == "get" && op.result == OpResult::kOk && ++reads % 5 == 0) op.value = "ghost";
  }
  for (size_t max_violations : {size_t{0}, size_t{1}, size_t{10}, size_t{1000}}) {
    const CheckResult serial = CheckLinearizable(h, {.max_violations = max_violations, .threads = 1});
    EXPECT_EQ(serial.violations.size(), std::min<size_t>(max_violations, 60)) << "every key is violated";
    for (size_t threads : {2, 3, 4}) {
      SCOPED_TRACE(::testing::Message() << "max_violations " << max_violations << ", threads " << threads);
      ExpectSameVerdict(serial, CheckLinearizable(h, {.max_violations = max_violations, .threads = threads}));
    }
  }
  // Large histories use the cores by default; the verdict is the serial one.
  ExpectSameVerdict(CheckLinearizable(h, {.threads = 1}), CheckLinearizable(h));
}

// --- Eventual ----------------------------------------------------------------------------------

TEST(Eventual, StaleReadsAreCountedNotViolations) {
  const CheckResult r = CheckEventual(
      {Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30), Get(2, "x", "a", 40, 50), Get(2, "x", "b", 60, 70)});
  EXPECT_TRUE(r.ok) << FormatCheckResult(r);
  EXPECT_EQ(r.staleness.reads, 2u);
  EXPECT_EQ(r.staleness.stale_reads, 1u);
  EXPECT_EQ(r.staleness.max_staleness_ns, 10);  // b acknowledged at 30, read began at 40.
}

TEST(Eventual, OwnReadThatMissesTheClientsPutAtTheSameInstantIsStale) {
  for (const bool seqs : {false, true}) {
    HistoryOp put = Put(0, "k", "v1", 0, 10), get = Get(0, "k", std::nullopt, 10, 20);
    if (seqs) put = Seqs(put, 1, 2), get = Seqs(get, 3, 4);
    const CheckResult r = CheckEventual({put, get});
    EXPECT_EQ(r.staleness.stale_reads, 1u) << "seqs " << seqs;
    EXPECT_EQ(r.staleness.max_staleness_ns, 0);  // stale from the very instant the put ended.
  }
  // Another client's read at that instant overlaps the put: not stale.
  EXPECT_EQ(CheckEventual({Put(0, "k", "v1", 0, 10), Get(1, "k", std::nullopt, 10, 20)}).staleness.stale_reads, 0u);
}

TEST(Eventual, ConcurrentWriteIsNotStale) {
  const CheckResult r = CheckEventual(
      {Put(1, "x", "a", 0, 10), Put(3, "x", "b", 5, 60), Get(2, "x", "b", 20, 30), Get(2, "x", "b", 70, 80)});
  EXPECT_EQ(r.staleness.stale_reads, 0u);
}

TEST(Eventual, ReadOfAnOverlappingEarlierAcknowledgedWriteIsNotStale) {
  // b overlaps a and may take effect after it, although a was acknowledged later.
  const CheckResult r = CheckEventual({Put(1, "x", "a", 0, 100), Put(2, "x", "b", 10, 50), Get(3, "x", "b", 200, 210)});
  EXPECT_EQ(r.staleness.stale_reads, 0u);
  EXPECT_TRUE(r.ok);
}

TEST(Eventual, AtomicRegisterHistoriesHaveNoStaleReadsOrViolations) {
  core::Rng rng(12);
  for (int round = 0; round < 100; ++round) {
    const auto h = AtomicRegisterHistory(rng, 1 + rng.Uniform(6), 1 + rng.Uniform(8), 1 + rng.Uniform(3));
    const CheckResult r = CheckEventual(h);
    ASSERT_EQ(r.staleness.stale_reads, 0u) << "round " << round;
  }
}

TEST(Eventual, DivergentFinalReadsAreAViolation) {
  const CheckResult r = CheckEventual(
      {Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15), Get(1, "x", "a", 40, 50), Get(2, "x", "b", 40, 50)});
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].ops.size(), 2u);
}

TEST(Eventual, LostAcknowledgedWriteIsAViolation) {
  const CheckResult r = CheckEventual(
      {Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30), Get(2, "x", "a", 40, 50), Get(3, "x", "a", 40, 50)});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.violations[0].reason, "an acknowledged write was lost: the final value is older");
}

TEST(Eventual, ValueNeverWrittenIsAViolation) { EXPECT_FALSE(CheckEventual({Get(2, "x", "ghost", 40, 50)}).ok); }

}  // namespace
}  // namespace kvlab::workloads
