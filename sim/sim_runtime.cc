#include "sim/sim_runtime.h"

#include <utility>

#include "core/assert.h"
#include "sim/sim_client.h"

namespace kvlab::sim {

SimRuntime::SimRuntime(Simulator& sim) : sim_(sim) {
  sim_.SetFiberWaker([this](uint64_t id) { OnWake(id); });
}

SimRuntime::~SimRuntime() {
  // Fibers that never finished (a run stopped by its time limit) would need an unannotated stack
  // unwind: the run is over, so release their stacks without running them.
  for (FiberSlot& slot : fibers_) {
    if (slot.fiber != nullptr && !slot.fiber->finished()) (void)slot.fiber.release();
  }
  sim_.SetFiberWaker(nullptr);
}

uint64_t SimRuntime::IdOf(workloads::Fiber* fiber) const {
  auto it = ids_.find(fiber);
  KV_ASSERT(it != ids_.end());
  return it->second;
}

void SimRuntime::Spawn(std::function<void()> body) {
  const uint64_t id = fibers_.size();
  fibers_.push_back(FiberSlot{std::make_unique<workloads::Fiber>(std::move(body)), false});
  ids_[fibers_.back().fiber.get()] = id;
  ++live_fibers_;
  ScheduleWake(id, sim_.now());
}

void SimRuntime::ScheduleWake(uint64_t id, core::Nanos at) {
  FiberSlot& slot = fibers_[id];
  if (slot.wake_pending) return;
  slot.wake_pending = true;
  sim_.Schedule(EventKind::kFiberWake, at, 0, 0, id);
}

void SimRuntime::OnWake(uint64_t id) {
  fibers_[id].wake_pending = false;
  workloads::Fiber* fiber = fibers_[id].fiber.get();
  if (fiber == nullptr || fiber->finished()) return;
  fiber->Resume();  // may Spawn, which can move fibers_: index again afterwards.
  if (fiber->finished()) {
    ids_.erase(fiber);
    fibers_[id].fiber.reset();
    --live_fibers_;
  }
}

void SimRuntime::SleepUntil(core::Nanos deadline) {
  workloads::Fiber* self = workloads::Fiber::Current();
  KV_ASSERT(self != nullptr);
  const uint64_t id = IdOf(self);
  // Loop: a stray earlier wake (e.g. a Wake() while this fiber was running) must not cut the
  // sleep short.
  while (sim_.now() < deadline) {
    ScheduleWake(id, deadline);
    workloads::Fiber::Suspend();
  }
}

void SimRuntime::Park() {
  KV_ASSERT(workloads::Fiber::Current() != nullptr);
  workloads::Fiber::Suspend();
}

void SimRuntime::Wake(workloads::Fiber* fiber) { ScheduleWake(IdOf(fiber), sim_.now()); }

std::unique_ptr<workloads::Client> SimRuntime::Connect(int index) {
  const core::NodeId target = static_cast<core::NodeId>(index % sim_.node_count() + 1);
  return std::make_unique<SimClient>(*this, target);
}

}  // namespace kvlab::sim
