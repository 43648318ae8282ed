#include "workloads/readback.h"

#include "gtest/gtest.h"
#include "tests/workloads/fake_runtime.h"

namespace kvlab::workloads {
namespace {

using testing::FakeRuntime;

HistoryOp Op(std::string op, std::string key, OpResult result, uint64_t invoke_seq) {
  return {.client = 0,
          .op = std::move(op),
          .key = std::move(key),
          .value = "v",
          .invoke_ns = 0,
          .complete_ns = 1,
          .result = result,
          .invoke_seq = invoke_seq,
          .complete_seq = invoke_seq + 1};
}

// Runs ReadBack in a fiber to the end; its verdict.
bool RunReadBack(FakeRuntime& rt, const std::vector<std::string>& keys, core::Nanos deadline,
                 std::vector<HistoryOp>& history) {
  bool read_all = false;
  rt.Spawn([&] { read_all = ReadBack(rt, keys, {.workload_clients = 4, .deadline = deadline}, history); });
  rt.Run();
  return read_all;
}

TEST(ReadBack, WrittenKeysAreThoseOfWritesThatMayHaveApplied) {
  const std::vector<HistoryOp> h = {Op("put", "b", OpResult::kOk, 1), Op("put", "a", OpResult::kUnknown, 3),
                                    Op("del", "c", OpResult::kOk, 5), Op("put", "d", OpResult::kFail, 7),
                                    Op("get", "e", OpResult::kOk, 9), Op("put", "b", OpResult::kOk, 11)};
  EXPECT_EQ(WrittenKeys(h), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ReadBack, ReadsEveryKeyAsTheClientAfterTheWorkloadsWithSeqsAfterTheHistorys) {
  FakeRuntime rt;
  rt.store = {{"a", "1"}, {"b", "2"}};
  std::vector<HistoryOp> h = {Op("put", "a", OpResult::kOk, 1), Op("put", "b", OpResult::kOk, 5)};
  ASSERT_TRUE(RunReadBack(rt, {"a", "b", "c"}, core::Seconds(1), h));
  ASSERT_EQ(h.size(), 5u);
  const std::vector<std::optional<std::string>> values = {"1", "2", std::nullopt};
  for (size_t i = 0; i < 3; ++i) {
    const HistoryOp& read = h[2 + i];
    EXPECT_EQ(read.client, 4);  // one past the workload's clients.
    EXPECT_EQ(read.op, "get");
    EXPECT_EQ(read.value, values[i]);
    EXPECT_EQ(read.result, OpResult::kOk);
    EXPECT_EQ(read.invoke_seq, 7 + 2 * i);
    EXPECT_EQ(read.complete_seq, 8 + 2 * i);
    EXPECT_EQ(read.complete_ns - read.invoke_ns, rt.service_ns);
  }
}

TEST(ReadBack, RetriesAReadThatFailedUntilItSucceeds) {
  FakeRuntime rt;
  int attempts = 0;
  rt.outcome = [&](const core::Command&) { return ++attempts <= 3 ? Outcome::kFail : Outcome::kOk; };
  std::vector<HistoryOp> h;
  ASSERT_TRUE(RunReadBack(rt, {"a"}, core::Seconds(1), h));
  ASSERT_EQ(h.size(), 1u);  // failed attempts are not recorded.
  EXPECT_EQ(h[0].invoke_ns, 3 * (rt.service_ns + kReadBackRetryInterval));
}

TEST(ReadBack, GivesUpOnceTheDeadlinePassed) {
  FakeRuntime rt;
  rt.outcome = [](const core::Command&) { return Outcome::kUnknown; };
  std::vector<HistoryOp> h;
  EXPECT_FALSE(RunReadBack(rt, {"a", "b"}, core::Millis(100), h));
  EXPECT_TRUE(h.empty());
  EXPECT_GE(rt.Now(), core::Millis(100));
  EXPECT_LT(rt.Now(), core::Millis(100) + kReadBackRetryInterval + rt.service_ns);
}

}  // namespace
}  // namespace kvlab::workloads
