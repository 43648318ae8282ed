// Fiber synchronisation on top of Runtime::Park/Wake, so the same code blocks correctly in
// virtual time (simulator) and on an event loop (real driver). One thread; no locks.
//
// Parks may return spuriously (a runtime may merge wakes), so every wait re-checks its condition.
#pragma once

#include <cstdint>
#include <deque>

#include "workloads/fiber.h"
#include "workloads/runtime.h"

namespace kvlab::workloads {

// FIFO of parked fibers.
class WaitQueue {
 public:
  explicit WaitQueue(Runtime& rt) : rt_(rt) {}
  // Parks the calling fiber once (callers loop on their condition).
  void Wait();
  void WakeOne();
  void WakeAll();
  bool empty() const { return waiters_.empty(); }

 private:
  Runtime& rt_;
  std::deque<Fiber*> waiters_;
};

// Counting semaphore: at most `permits` holders at once (high_concurrency's in-flight limit).
class Semaphore {
 public:
  Semaphore(Runtime& rt, int64_t permits) : queue_(rt), available_(permits) {}
  void Acquire();
  void Release();
  int64_t available() const { return available_; }

 private:
  WaitQueue queue_;
  int64_t available_;
};

// Waits until `Add`ed work items are all `Done` (the driver's join of its client fibers).
class WaitGroup {
 public:
  explicit WaitGroup(Runtime& rt) : queue_(rt) {}
  void Add(int64_t n) { pending_ += n; }
  void Done();
  void Wait();
  int64_t pending() const { return pending_; }

 private:
  WaitQueue queue_;
  int64_t pending_ = 0;
};

}  // namespace kvlab::workloads
