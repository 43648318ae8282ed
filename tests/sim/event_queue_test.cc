#include "sim/event_queue.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/rng.h"

namespace kvlab::sim {
namespace {

Event At(core::Nanos t, uint64_t arg) {
  Event e;
  e.time = t;
  e.arg = arg;
  return e;
}

TEST(EventQueueTest, PopsByTimeThenBySchedulingOrder) {
  EventQueue q;
  q.Push(At(5, 1));
  q.Push(At(3, 2));
  q.Push(At(5, 3));
  q.Push(At(3, 4));
  std::vector<uint64_t> order;
  while (!q.empty()) order.push_back(q.Pop().arg);
  EXPECT_EQ(order, (std::vector<uint64_t>{2, 4, 1, 3}));
  EXPECT_EQ(q.now(), 5);
}

TEST(EventQueueTest, NowFollowsPoppedEvents) {
  EventQueue q;
  q.Push(At(10, 0));
  EXPECT_EQ(q.now(), 0);
  q.Pop();
  EXPECT_EQ(q.now(), 10);
  q.Push(At(10, 0));  // same time is allowed.
  EXPECT_EQ(q.Pop().time, 10);
}

TEST(EventQueueTest, ManyRandomEventsPopInTimeThenSeqOrder) {
  EventQueue q;
  core::Rng rng(42);
  std::vector<std::pair<core::Nanos, uint64_t>> pushed;  // (time, arg = push index)
  for (uint64_t i = 0; i < 5000; ++i) {
    const auto t = static_cast<core::Nanos>(rng.Uniform(200));  // many ties.
    q.Push(At(t, i));
    pushed.emplace_back(t, i);
  }
  std::sort(pushed.begin(), pushed.end());
  for (const auto& [t, i] : pushed) {
    ASSERT_FALSE(q.empty());
    const Event ev = q.Pop();
    ASSERT_EQ(ev.time, t);
    ASSERT_EQ(ev.arg, i);
  }
  EXPECT_TRUE(q.empty());
}

TEST(EventQueueTest, ReservedSeqSortsAsIfPushedAtReservation) {
  EventQueue q;
  q.Push(At(5, 1));
  const uint64_t reserved = q.ReserveSeq();
  q.Push(At(5, 3));
  q.Push(At(2, 0));
  EXPECT_EQ(q.Pop().arg, 0u);  // time 2; the reserved event is pushed only now, later.
  Event late = At(5, 2);
  late.seq = reserved;
  q.PushWithSeq(late);
  std::vector<uint64_t> order;
  while (!q.empty()) order.push_back(q.Pop().arg);
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(EventQueueDeathTest, PushWithSeqBeforeThePoppedEventAborts) {
  EventQueue q;
  const uint64_t reserved = q.ReserveSeq();
  q.Push(At(5, 0));
  q.Pop();
  Event ev = At(5, 0);
  ev.seq = reserved;  // same time, earlier seq: would sort before what already ran.
  EXPECT_DEATH(q.PushWithSeq(ev), "assertion failed");
}

TEST(EventQueueDeathTest, SchedulingInThePastAborts) {
  EventQueue q;
  q.Push(At(10, 0));
  q.Pop();
  EXPECT_DEATH(q.Push(At(9, 0)), "assertion failed");
}

}  // namespace
}  // namespace kvlab::sim
