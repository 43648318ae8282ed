#include "sim/event_queue.h"

#include <gtest/gtest.h>

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

TEST(EventQueueDeathTest, SchedulingInThePastAborts) {
  EventQueue q;
  q.Push(At(10, 0));
  q.Pop();
  EXPECT_DEATH(q.Push(At(9, 0)), "assertion failed");
}

}  // namespace
}  // namespace kvlab::sim
