#include "workloads/checker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/rng.h"
#include "gtest/gtest.h"
#include "workloads/synthetic_history.h"

namespace kvlab::workloads {
namespace {

HistoryOp Put(int client, std::string key, std::string v, core::Nanos a, core::Nanos b,
              OpResult r = OpResult::kOk) {
  return {.client = client, .op = "put", .key = key, .value = v, .invoke_ns = a, .complete_ns = b,
          .result = r};
}
HistoryOp Get(int client, std::string key, std::optional<std::string> v, core::Nanos a,
              core::Nanos b, OpResult r = OpResult::kOk) {
  return {.client = client, .op = "get", .key = key, .value = v, .invoke_ns = a, .complete_ns = b,
          .result = r};
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
  EXPECT_TRUE(Linearizable({Get(1, "x", std::nullopt, 0, 1), Put(1, "x", "a", 2, 3),
                            Get(2, "x", "a", 4, 5), Put(2, "x", "b", 6, 7), Get(1, "x", "b", 8, 9)}));
}

TEST(Linearizability, StaleReadIsRejectedWithASmallWitness) {
  const std::vector<HistoryOp> h = {Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30),
                                    Get(2, "x", "a", 40, 50), Get(3, "y", std::nullopt, 0, 1)};
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
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15),
                            Get(3, "x", "a", 20, 25)}));
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15),
                            Get(3, "x", "b", 20, 25)}));
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15),
                             Get(3, "x", "a", 20, 25), Get(3, "x", "b", 30, 35),
                             Get(4, "x", "a", 40, 45)}));
  // A read concurrent with a write may see the old or the new value.
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30),
                            Get(2, "x", "a", 15, 25)}));
}

TEST(Linearizability, FailedWritesNeverTakeEffect) {
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kFail), Get(2, "x", "a", 20, 30)}));
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kFail),
                            Get(2, "x", std::nullopt, 20, 30)}));
}

TEST(Linearizability, UnknownWriteMayTakeEffectLateOrNever) {
  // Seen long after it timed out: fine, it may have been applied late.
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kUnknown),
                            Get(2, "x", std::nullopt, 20, 30), Get(2, "x", "a", 100, 110)}));
  // Never seen: fine too.
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kUnknown),
                            Get(2, "x", std::nullopt, 20, 30)}));
}

TEST(Linearizability, UnknownWriteCannotTakeEffectBeforeItsInvoke) {
  EXPECT_FALSE(Linearizable({Get(2, "x", "a", 0, 5), Put(1, "x", "a", 10, 20, OpResult::kUnknown)}));
}

TEST(Linearizability, UnknownWriteThatMustHaveTakenEffectCannotUndoLaterWrites) {
  // a (unknown) is seen, then b is written and read; a cannot be read again after b.
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10, OpResult::kUnknown), Get(2, "x", "a", 20, 30),
                             Put(2, "x", "b", 40, 50), Get(2, "x", "b", 60, 70),
                             Get(3, "x", "a", 80, 90)}));
}

TEST(Linearizability, DelIsAPutOfAbsent) {
  HistoryOp del{.client = 1, .op = "del", .key = "x", .value = std::nullopt, .invoke_ns = 20,
                .complete_ns = 30, .result = OpResult::kOk};
  EXPECT_TRUE(Linearizable({Put(1, "x", "a", 0, 10), del, Get(2, "x", std::nullopt, 40, 50)}));
  EXPECT_FALSE(Linearizable({Put(1, "x", "a", 0, 10), del, Get(2, "x", "a", 40, 50)}));
}

// --- Randomized: histories of an atomic register, and one-read mutations of them -----------------

// A brute-force oracle for small single-key histories: tries every real-time-respecting order.
bool BruteForce(const std::vector<HistoryOp>& ops, std::vector<bool>& done,
                std::optional<std::string> state, size_t required_left) {
  if (required_left == 0) return true;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (done[i]) continue;
    bool minimal = true;  // no undone required op must precede i.
    for (size_t j = 0; j < ops.size() && minimal; ++j) {
      minimal = done[j] || j == i || ops[j].result != OpResult::kOk ||
                ops[j].complete_ns >= ops[i].invoke_ns;
    }
    if (!minimal) continue;
    const bool write = ops[i].op == "put";
    if (!write && ops[i].value != state) continue;
    done[i] = true;
    const bool ok = BruteForce(ops, done, write ? ops[i].value : state,
                               required_left - (ops[i].result == OpResult::kOk));
    done[i] = false;
    if (ok) return true;
  }
  return false;
}

bool Oracle(std::vector<HistoryOp> ops) {
  std::erase_if(ops, [](const HistoryOp& o) {
    return o.result == OpResult::kFail || (o.op == "get" && o.result == OpResult::kUnknown);
  });
  std::vector<bool> done(ops.size(), false);
  const size_t required = std::count_if(ops.begin(), ops.end(),
                                        [](const HistoryOp& o) { return o.result == OpResult::kOk; });
  return BruteForce(ops, done, std::nullopt, required);
}

std::vector<HistoryOp> AtomicRegisterHistory(core::Rng& rng, int clients, int ops_per_client,
                                             int keys) {
  return workloads::AtomicRegisterHistory(
      rng, {.clients = clients, .ops_per_client = ops_per_client, .keys = keys,
            .unknown_ppm = 50'000, .fail_ppm = 50'000});
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

TEST(LinearizabilityRandomized, ChangingOneReadIsRejectedExactlyWhenTheOracleSaysSo) {
  core::Rng rng(77);
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    auto h = AtomicRegisterHistory(rng, 2 + rng.Uniform(3), 1 + rng.Uniform(3), 1);
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

// --- Eventual ----------------------------------------------------------------------------------

TEST(Eventual, StaleReadsAreCountedNotViolations) {
  const CheckResult r = CheckEventual({Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30),
                                       Get(2, "x", "a", 40, 50), Get(2, "x", "b", 60, 70)});
  EXPECT_TRUE(r.ok) << FormatCheckResult(r);
  EXPECT_EQ(r.staleness.reads, 2u);
  EXPECT_EQ(r.staleness.stale_reads, 1u);
  EXPECT_EQ(r.staleness.max_staleness_ns, 10);  // b acknowledged at 30, read began at 40.
}

TEST(Eventual, ConcurrentWriteIsNotStale) {
  const CheckResult r = CheckEventual({Put(1, "x", "a", 0, 10), Put(3, "x", "b", 5, 60),
                                       Get(2, "x", "b", 20, 30), Get(2, "x", "b", 70, 80)});
  EXPECT_EQ(r.staleness.stale_reads, 0u);
}

TEST(Eventual, ReadOfAnOverlappingEarlierAcknowledgedWriteIsNotStale) {
  // b overlaps a and may take effect after it, although a was acknowledged later.
  const CheckResult r = CheckEventual({Put(1, "x", "a", 0, 100), Put(2, "x", "b", 10, 50),
                                       Get(3, "x", "b", 200, 210)});
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
  const CheckResult r = CheckEventual({Put(1, "x", "a", 0, 10), Put(2, "x", "b", 5, 15),
                                       Get(1, "x", "a", 40, 50), Get(2, "x", "b", 40, 50)});
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].ops.size(), 2u);
}

TEST(Eventual, LostAcknowledgedWriteIsAViolation) {
  const CheckResult r = CheckEventual({Put(1, "x", "a", 0, 10), Put(1, "x", "b", 20, 30),
                                       Get(2, "x", "a", 40, 50), Get(3, "x", "a", 40, 50)});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.violations[0].reason, "an acknowledged write was lost: the final value is older");
}

TEST(Eventual, ValueNeverWrittenIsAViolation) {
  EXPECT_FALSE(CheckEventual({Get(2, "x", "ghost", 40, 50)}).ok);
}

}  // namespace
}  // namespace kvlab::workloads
