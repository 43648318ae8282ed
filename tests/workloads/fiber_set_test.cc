#include "workloads/fiber_set.h"

#include <gtest/gtest.h>

#include <vector>

namespace kvlab::workloads {
namespace {

TEST(FiberSetTest, ResumeRunsUntilSuspendAndFreesAFinishedFiber) {
  FiberSet set;
  std::vector<int> steps;
  const uint64_t id = set.Add([&] {
    steps.push_back(1);
    Fiber::Suspend();
    steps.push_back(2);
  });
  EXPECT_EQ(id, 0u);
  EXPECT_FALSE(set.AllFinished());
  EXPECT_TRUE(steps.empty());  // Add does not start the fiber.
  set.Resume(id);
  EXPECT_EQ(steps, std::vector<int>({1}));
  EXPECT_FALSE(set.AllFinished());
  set.Resume(id);
  EXPECT_EQ(steps, std::vector<int>({1, 2}));
  EXPECT_TRUE(set.AllFinished());
  set.Resume(id);  // a stale wake-up of a finished fiber is a no-op.
  EXPECT_EQ(steps.size(), 2u);
}

TEST(FiberSetTest, IdOfNamesTheRunningFiberEvenAfterItAddsAnother) {
  FiberSet set;
  uint64_t seen_before = 99, seen_after = 99, child = 99;
  const uint64_t parent = set.Add([&] {
    seen_before = set.IdOf(Fiber::Current());
    child = set.Add([] {});  // may grow the slot vector while this fiber runs.
    seen_after = set.IdOf(Fiber::Current());
  });
  set.Resume(parent);
  EXPECT_EQ(seen_before, parent);
  EXPECT_EQ(seen_after, parent);
  EXPECT_EQ(child, 1u);
  EXPECT_FALSE(set.AllFinished());  // the child has not run yet.
  set.Resume(child);
  EXPECT_TRUE(set.AllFinished());
}

TEST(FiberSetTest, AtMostOneWakeUpIsPendingPerFiber) {
  FiberSet set;
  const uint64_t id = set.Add([] {});
  EXPECT_TRUE(set.TryMarkWakePending(id));
  EXPECT_FALSE(set.TryMarkWakePending(id));
  set.ClearWakePending(id);
  EXPECT_TRUE(set.TryMarkWakePending(id));
  set.Resume(id);  // finish it: the set releases unfinished stacks without freeing them.
  EXPECT_TRUE(set.AllFinished());
}

}  // namespace
}  // namespace kvlab::workloads
