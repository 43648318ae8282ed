// The simulator's implementation of workloads::Runtime and workloads::Client: workload fibers run
// in virtual time, and a client call is a message through the simulated network to a node, with
// the fiber parked until the reply or the client's timeout.
//
// The workload's fibers share one CPU, as `kvlab bench`'s fibers share its one thread: a fiber
// woken while that CPU is busy (a client's send or connection close it paid for,
// ChargeClientCpu) waits in a FIFO and runs when the CPU frees, so a fiber's clock readings (the
// history's invoke and complete times) come after the work queued ahead of it, as a real event
// loop's do. Without client costs the CPU is never busy and a wake runs at once.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "sim/simulator.h"
#include "workloads/fiber.h"
#include "workloads/fiber_set.h"
#include "workloads/runtime.h"

namespace kvlab::sim {

struct ClientStats {
  uint64_t requests = 0;
  uint64_t timeouts = 0;
};

class SimRuntime final : public workloads::Runtime {
 public:
  explicit SimRuntime(Simulator& sim);
  ~SimRuntime() override;

  core::Nanos Now() override { return sim_.now(); }
  void SleepUntil(core::Nanos deadline) override;
  void Spawn(std::function<void()> body) override;
  std::unique_ptr<workloads::Client> Connect(int index) override;
  void Park() override;
  void Wake(workloads::Fiber* fiber) override;

  // True once every spawned fiber has finished.
  bool AllFinished() const { return fibers_.AllFinished(); }
  const ClientStats& client_stats() const { return client_stats_; }
  ClientStats& mutable_client_stats() { return client_stats_; }
  // Occupies the clients' one CPU (a benchmark client is one process, one thread) for `cost`
  // from now or when it frees, on one of the host's shared cores; found idle, it wakes first
  // (CpuModel::wake_ns). Returns when the work ends.
  core::Nanos ChargeClientCpu(core::Nanos cost);
  core::Nanos client_cpu_busy_until() const { return client_cpu_busy_until_; }
  Simulator& sim() { return sim_; }

 private:
  // The fiber id of the event that runs the next fiber waiting for the CPU (FiberSet ids count up
  // from 0 and never reach it).
  static constexpr uint64_t kRunReadyId = UINT64_MAX;

  void ScheduleWake(uint64_t id, core::Nanos at);
  void OnWake(uint64_t id);
  // Resumes the first fiber waiting for the CPU; arms the next turn if more wait.
  void RunReady();
  void ArmRunReady();

  Simulator& sim_;
  workloads::FiberSet fibers_;
  ClientStats client_stats_;
  core::Nanos client_cpu_busy_until_ = 0;
  // Fibers woken while the CPU was busy, in wake order; each keeps its wake-pending mark until it runs.
  std::deque<uint64_t> ready_;
  bool run_ready_armed_ = false;
};

}  // namespace kvlab::sim
