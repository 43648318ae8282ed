#include "workloads/fiber_set.h"

#include <utility>

#include "core/assert.h"

namespace kvlab::workloads {

FiberSet::~FiberSet() {
  for (Slot& slot : slots_) {
    if (slot.fiber != nullptr && !slot.fiber->finished()) (void)slot.fiber.release();
  }
}

uint64_t FiberSet::Add(std::function<void()> body) {
  const uint64_t id = slots_.size();
  slots_.push_back(Slot{std::make_unique<Fiber>(std::move(body)), false});
  ids_[slots_.back().fiber.get()] = id;
  ++live_;
  return id;
}

uint64_t FiberSet::IdOf(const Fiber* fiber) const {
  auto it = ids_.find(fiber);
  KV_ASSERT(it != ids_.end());
  return it->second;
}

void FiberSet::Resume(uint64_t id) {
  KV_ASSERT(id < slots_.size());
  Fiber* fiber = slots_[id].fiber.get();
  if (fiber == nullptr || fiber->finished()) return;
  fiber->Resume();  // may Add, which can move slots_: index again afterwards.
  if (fiber->finished()) {
    ids_.erase(fiber);
    slots_[id].fiber.reset();
    --live_;
  }
}

bool FiberSet::TryMarkWakePending(uint64_t id) {
  KV_ASSERT(id < slots_.size());
  if (slots_[id].wake_pending) return false;
  slots_[id].wake_pending = true;
  return true;
}

}  // namespace kvlab::workloads
