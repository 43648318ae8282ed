#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

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

// Interleaved pushes and pops, many at the current time (which take the queue's FIFO path) and
// some with seqs reserved earlier (which must still sort by seq among same-time events), checked
// against an ordered set of (time, seq).
TEST(EventQueueTest, InterleavedSameTimeAndReservedEventsPopInTimeThenSeqOrder) {
  EventQueue q;
  core::Rng rng(7);
  std::set<std::pair<core::Nanos, uint64_t>> model;  // (time, seq)
  std::vector<uint64_t> reserved;
  uint64_t last_seq = 0;  // of the last popped event.
  auto push = [&](core::Nanos t) {
    Event ev = At(t, 0);
    if (!reserved.empty() && rng.Uniform(4) == 0) {
      ev.seq = reserved.back();
      reserved.pop_back();
      if (t == q.now() && ev.seq < last_seq) return;  // would sort before what already ran.
      q.PushWithSeq(ev);
    } else {
      q.Push(ev);
      ev.seq = q.ReserveSeq() - 1;  // Push took the seq just before this one.
    }
    ev.arg = ev.seq;
    model.emplace(t, ev.seq);
  };
  push(0);
  for (int step = 0; step < 20000 && !q.empty(); ++step) {
    const Event ev = q.Pop();
    ASSERT_EQ(std::make_pair(ev.time, ev.seq), *model.begin());
    model.erase(model.begin());
    last_seq = ev.seq;
    const int pushes = static_cast<int>(rng.Uniform(3));
    for (int i = 0; i < pushes; ++i) {
      if (rng.Uniform(8) == 0) reserved.push_back(q.ReserveSeq());
      const bool now = rng.Uniform(2) == 0;
      push(ev.time + (now ? 0 : static_cast<core::Nanos>(1 + rng.Uniform(50))));
    }
    if (q.empty()) push(ev.time + 1);
    ASSERT_EQ(q.size(), model.size());
  }
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
