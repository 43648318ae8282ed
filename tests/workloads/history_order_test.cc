#include "workloads/history_order.h"

#include <algorithm>

#include "core/rng.h"
#include "gtest/gtest.h"
#include "workloads/synthetic_history.h"

namespace kvlab::workloads {
namespace {

HistoryOp Op(int client, core::Nanos invoke, core::Nanos complete, uint64_t invoke_seq = 0, uint64_t complete_seq = 0) {
  return {.client = client,
          .op = "get",
          .key = "k",
          .value = std::nullopt,
          .invoke_ns = invoke,
          .complete_ns = complete,
          .result = OpResult::kOk,
          .invoke_seq = invoke_seq,
          .complete_seq = complete_seq};
}

// True if op a precedes op b in the ranked order.
bool Precedes(const EventRanks& r, size_t a, size_t b) { return r.complete[a] < r.invoke[b]; }

TEST(HistoryOrder, EarlierTimesComeFirstWhateverTheSeqs) {
  const EventRanks r = RankEvents({Op(0, 0, 5, 7, 8), Op(1, 6, 9, 1, 2)});
  EXPECT_TRUE(Precedes(r, 0, 1));
}

TEST(HistoryOrder, AtOneInstantSeqsDecide) {
  const EventRanks r = RankEvents({Op(0, 0, 10, 1, 2), Op(1, 10, 20, 3, 4)});
  EXPECT_TRUE(Precedes(r, 0, 1));
  const EventRanks overlap = RankEvents({Op(0, 0, 10, 1, 3), Op(1, 10, 20, 2, 4)});
  EXPECT_FALSE(Precedes(overlap, 0, 1));
}

TEST(HistoryOrder, WithoutSeqsAClientsReturnComesBeforeItsNextCall) {
  const EventRanks r = RankEvents({Op(0, 10, 20), Op(0, 0, 10)});
  EXPECT_TRUE(Precedes(r, 1, 0));
}

TEST(HistoryOrder, WithoutSeqsOtherClientsAtOneInstantOverlap) {
  const EventRanks r = RankEvents({Op(0, 0, 10), Op(1, 10, 20)});
  EXPECT_FALSE(Precedes(r, 0, 1));
}

TEST(HistoryOrder, WithoutSeqsAZeroLengthOpSitsBetweenItsClientsNeighbours) {
  const EventRanks r = RankEvents({Op(0, 0, 10), Op(0, 10, 10), Op(0, 10, 20)});
  EXPECT_LT(r.invoke[1], r.complete[1]);
  EXPECT_TRUE(Precedes(r, 0, 1));
  EXPECT_TRUE(Precedes(r, 1, 2));
}

// The one pattern no line of events can keep fully concurrent (history_order.h): two clients
// each end an op and begin the next at one instant. The lower client id goes first.
TEST(HistoryOrder, WithoutSeqsTwoClientsTurningAtOneInstantOrderByClientId) {
  const EventRanks r = RankEvents({Op(1, 0, 10), Op(1, 10, 20), Op(0, 0, 10), Op(0, 10, 20)});
  EXPECT_TRUE(Precedes(r, 2, 1));   // client 0's first op before client 1's second.
  EXPECT_FALSE(Precedes(r, 0, 3));  // client 1's first op overlaps client 0's second.
  EXPECT_TRUE(Precedes(r, 0, 1));
  EXPECT_TRUE(Precedes(r, 2, 3));
}

TEST(HistoryOrder, RanksAreAPermutationWithEachCallBeforeItsReturn) {
  core::Rng rng(5);
  const std::vector<HistoryOp> h = AtomicRegisterHistory(rng, {.clients = 20, .ops_per_client = 50});
  const EventRanks r = RankEvents(h);
  std::vector<int64_t> all(r.invoke);
  all.insert(all.end(), r.complete.begin(), r.complete.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<int64_t>(i));
  for (size_t i = 0; i < h.size(); ++i) {
    ASSERT_LT(r.invoke[i], r.complete[i]);
    // Strictly earlier times keep their order.
    for (size_t j = 0; j < h.size(); j += 37) {
      if (h[i].complete_ns < h[j].invoke_ns) {
        ASSERT_TRUE(Precedes(r, i, j));
      }
    }
  }
}

}  // namespace
}  // namespace kvlab::workloads
