#include "workloads/sync.h"

#include <algorithm>

#include "core/assert.h"

namespace kvlab::workloads {

void WaitQueue::Wait() {
  Fiber* self = Fiber::Current();
  KV_ASSERT(self != nullptr);  // only fibers can block.
  waiters_.push_back(self);
  rt_.Park();
  // A spurious return leaves us queued: remove ourselves so a later WakeOne is not wasted on us.
  auto it = std::find(waiters_.begin(), waiters_.end(), self);
  if (it != waiters_.end()) waiters_.erase(it);
}

void WaitQueue::WakeOne() {
  if (waiters_.empty()) return;
  Fiber* f = waiters_.front();
  waiters_.pop_front();
  rt_.Wake(f);
}

void WaitQueue::WakeAll() {
  while (!waiters_.empty()) WakeOne();
}

void Semaphore::Acquire() {
  while (available_ <= 0) queue_.Wait();
  --available_;
}

void Semaphore::Release() {
  ++available_;
  queue_.WakeOne();
}

void WaitGroup::Done() {
  KV_ASSERT(pending_ > 0);
  if (--pending_ == 0) queue_.WakeAll();
}

void WaitGroup::Wait() {
  while (pending_ > 0) queue_.Wait();
}

}  // namespace kvlab::workloads
