#include "sim/sim_runtime.h"

#include <utility>

#include "core/assert.h"
#include "sim/sim_client.h"

namespace kvlab::sim {

SimRuntime::SimRuntime(Simulator& sim) : sim_(sim) {
  sim_.SetFiberWaker([this](uint64_t id) { OnWake(id); });
}

SimRuntime::~SimRuntime() { sim_.SetFiberWaker(nullptr); }

void SimRuntime::Spawn(std::function<void()> body) { ScheduleWake(fibers_.Add(std::move(body)), sim_.now()); }

void SimRuntime::ScheduleWake(uint64_t id, core::Nanos at) {
  if (!fibers_.TryMarkWakePending(id)) return;
  sim_.Schedule(EventKind::kFiberWake, at, 0, 0, id);
}

void SimRuntime::OnWake(uint64_t id) {
  fibers_.ClearWakePending(id);
  fibers_.Resume(id);
}

void SimRuntime::SleepUntil(core::Nanos deadline) {
  workloads::Fiber* self = workloads::Fiber::Current();
  KV_ASSERT(self != nullptr);
  const uint64_t id = fibers_.IdOf(self);
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

void SimRuntime::Wake(workloads::Fiber* fiber) { ScheduleWake(fibers_.IdOf(fiber), sim_.now()); }

std::unique_ptr<workloads::Client> SimRuntime::Connect(int index) {
  const core::NodeId target = static_cast<core::NodeId>(index % sim_.node_count() + 1);
  return std::make_unique<SimClient>(*this, target);
}

}  // namespace kvlab::sim
