#include "sim/final_reads.h"

#include <gtest/gtest.h>

namespace kvlab::sim {
namespace {

using workloads::HistoryOp;
using workloads::OpResult;

HistoryOp Op(int client, const char* op, const char* key, core::Nanos invoke, core::Nanos complete,
             OpResult result = OpResult::kOk) {
  HistoryOp h;
  h.client = client;
  h.op = op;
  h.key = key;
  h.value = "v";
  h.invoke_ns = invoke;
  h.complete_ns = complete;
  h.result = result;
  return h;
}

TEST(FinalReadsTest, PlansTheReadsTakenAfterTheKeysLastWriteEnded) {
  const std::vector<HistoryOp> history = {
      Op(0, "put", "a", 0, 10),
      Op(1, "get", "a", 5, 8),                         // before the write ended: not final.
      Op(2, "get", "a", 10, 12),                       // at its end: final.
      Op(0, "put", "b", 20, 500, OpResult::kUnknown),  // gave up at 500.
      Op(1, "get", "b", 600, 610),                     // after the give-up: final.
      Op(3, "put", "c", 30, 40, OpResult::kFail),      // failed writes do not count.
      Op(3, "get", "c", 0, 1),                         // so c was never written: every read is final.
      Op(4, "get", "a", 50, 60),                       // the read-back's client (clients = 4).
      Op(5, "get", "a", 50, 60),                       // beyond it: not a client of this run.
      Op(2, "get", "a", 70, 80, OpResult::kFail),      // failed reads are not reads.
  };
  const FinalReadPlan plan = PlanFinalReads(history, 4);
  const FinalReadPlan want = {{1, {"b"}}, {2, {"a"}}, {3, {"c"}}, {4, {"a"}}};
  EXPECT_EQ(plan, want);
  EXPECT_EQ(FinalReadCount(plan), 4u);
}

}  // namespace
}  // namespace kvlab::sim
