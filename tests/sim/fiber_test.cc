#include "workloads/fiber.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kvlab::workloads {
namespace {

TEST(FiberTest, SuspendReturnsControlToTheResumer) {
  std::vector<std::string> log;
  Fiber f([&] {
    log.push_back("a");
    Fiber::Suspend();
    log.push_back("b");
  });
  f.Resume();
  log.push_back("main");
  EXPECT_FALSE(f.finished());
  f.Resume();
  EXPECT_TRUE(f.finished());
  EXPECT_EQ(log, (std::vector<std::string>{"a", "main", "b"}));
}

TEST(FiberTest, CurrentNamesTheRunningFiber) {
  EXPECT_EQ(Fiber::Current(), nullptr);
  Fiber* seen = nullptr;
  Fiber f([&] { seen = Fiber::Current(); });
  f.Resume();
  EXPECT_EQ(seen, &f);
  EXPECT_EQ(Fiber::Current(), nullptr);
}

TEST(FiberTest, ManyFibersInterleaveWithDeepStacks) {
  // Recursion uses real stack in every fiber: ASan checks each switch is announced.
  std::function<int(int)> depth = [&](int n) -> int {
    char pad[256];
    pad[0] = static_cast<char>(n);
    if (n == 0) {
      Fiber::Suspend();
      return pad[0];
    }
    return depth(n - 1) + 1 + pad[0] * 0;
  };
  std::vector<std::unique_ptr<Fiber>> fibers;
  std::vector<int> results(100);
  for (int i = 0; i < 100; ++i) {
    fibers.push_back(std::make_unique<Fiber>([&, i] { results[i] = depth(50); }));
  }
  for (auto& f : fibers) f->Resume();
  for (auto& f : fibers) f->Resume();
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(fibers[i]->finished());
    EXPECT_EQ(results[i], 50);
  }
}

TEST(FiberTest, NestedFibersReturnToTheirOwnResumer) {
  std::vector<int> log;
  Fiber inner([&] {
    log.push_back(2);
    Fiber::Suspend();
    log.push_back(4);
  });
  Fiber outer([&] {
    log.push_back(1);
    inner.Resume();
    log.push_back(3);
    inner.Resume();
    log.push_back(5);
  });
  outer.Resume();
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(outer.finished());
}

}  // namespace
}  // namespace kvlab::workloads
