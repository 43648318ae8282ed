#include "sim/sim_runtime.h"

#include <algorithm>
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
  if (id == kRunReadyId) {
    RunReady();
    return;
  }
  if (!ready_.empty() || client_cpu_busy_until_ > sim_.now()) {
    ready_.push_back(id);  // behind the CPU's work and the fibers already waiting for it.
    ArmRunReady();
    return;
  }
  fibers_.ClearWakePending(id);
  fibers_.Resume(id);
}

void SimRuntime::ArmRunReady() {
  if (run_ready_armed_ || ready_.empty()) return;
  run_ready_armed_ = true;
  sim_.Schedule(EventKind::kFiberWake, std::max(sim_.now(), client_cpu_busy_until_), 0, 0, kRunReadyId);
}

void SimRuntime::RunReady() {
  run_ready_armed_ = false;
  if (client_cpu_busy_until_ > sim_.now()) {  // work charged since this turn was armed.
    ArmRunReady();
    return;
  }
  KV_ASSERT(!ready_.empty());
  const uint64_t id = ready_.front();
  ready_.pop_front();
  fibers_.ClearWakePending(id);
  fibers_.Resume(id);
  ArmRunReady();
}

core::Nanos SimRuntime::ChargeClientCpu(core::Nanos cost) {
  const CpuModel& cpu = sim_.config().cpu;
  const core::Nanos wake = sim_.now() > client_cpu_busy_until_ ? cpu.wake_ns : 0;
  const core::Nanos start = sim_.cpus().FreeAt(std::max(client_cpu_busy_until_, sim_.now()));
  sim_.cpus().Occupy(start, wake + cost);
  client_cpu_busy_until_ = start + wake + cost;
  return client_cpu_busy_until_;
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
