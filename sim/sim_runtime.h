// The simulator's implementation of workloads::Runtime and workloads::Client: workload fibers run
// in virtual time, and a client call is a message through the simulated network to a node, with
// the fiber parked until the reply or the client's timeout.
#pragma once

#include <cstdint>
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
  // The clients' one CPU (a benchmark client is one process, one thread): busy until this time.
  core::Nanos& client_cpu_busy_until() { return client_cpu_busy_until_; }
  Simulator& sim() { return sim_; }

 private:
  void ScheduleWake(uint64_t id, core::Nanos at);
  void OnWake(uint64_t id);

  Simulator& sim_;
  workloads::FiberSet fibers_;
  ClientStats client_stats_;
  core::Nanos client_cpu_busy_until_ = 0;
};

}  // namespace kvlab::sim
