// The linearizable-until-failover verdict (sim/verdict.h): lost acknowledged writes are figures;
// every other anomaly fails.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sim/verdict.h"

namespace kvlab::sim {
namespace {

using workloads::HistoryOp;
using workloads::OpResult;

// One op at seqs [a, b] (times follow the seqs).
HistoryOp Op(const char* op, int client, std::optional<std::string> v, uint64_t a, uint64_t b) {
  HistoryOp h;
  h.client = client;
  h.op = op;
  h.key = "k";
  h.value = std::move(v);
  h.invoke_ns = static_cast<core::Nanos>(a) * 1000;
  h.complete_ns = static_cast<core::Nanos>(b) * 1000;
  h.result = OpResult::kOk;
  h.invoke_seq = a;
  h.complete_seq = b;
  return h;
}

TEST(FailoverVerdict, LinearizableHistoryLosesNothing) {
  const FailoverVerdict v = CheckLinearizableUntilFailover({Op("put", 1, "a", 1, 2), Op("get", 2, "a", 3, 4)});
  EXPECT_TRUE(v.check.ok);
  EXPECT_EQ(v.lost_acked_writes, 0u);
  EXPECT_EQ(v.check.model, "linearizable-until-failover");
}

TEST(FailoverVerdict, LostAcknowledgedWriteIsAFigure) {
  const FailoverVerdict v =
      CheckLinearizableUntilFailover({Op("put", 1, "a", 1, 2), Op("put", 1, "b", 3, 4), Op("get", 2, "a", 5, 6)});
  EXPECT_TRUE(v.check.ok);
  EXPECT_EQ(v.lost_write_keys, 1u);
  EXPECT_EQ(v.lost_acked_writes, 1u);
}

TEST(FailoverVerdict, ValueNobodyWroteFails) {
  EXPECT_FALSE(CheckLinearizableUntilFailover({Op("put", 1, "a", 1, 2), Op("get", 2, "x", 3, 4)}).check.ok);
}

// Reads going back and forth are no lost write: b was seen, then a again, then b.
TEST(FailoverVerdict, ReadsGoingBackFail) {
  EXPECT_FALSE(CheckLinearizableUntilFailover(
                   {Op("put", 1, "a", 1, 2), Op("put", 1, "b", 3, 4), Op("get", 2, "b", 5, 6), Op("get", 2, "a", 7, 8)})
                   .check.ok);
}

}  // namespace
}  // namespace kvlab::sim
