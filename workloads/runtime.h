// The world a workload runs in, as seen from a client fiber: time, sleeping, spawning fibers and
// connecting clients. The simulator implements it in virtual time; the real driver on an epoll
// loop over RESP connections. Workload code is written once against this interface.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/types.h"
#include "workloads/client.h"

namespace kvlab::workloads {

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Monotonic time of the workload's world (virtual time in the simulator).
  virtual core::Nanos Now() = 0;
  // Suspends the calling fiber until Now() >= deadline. REQUIRES: called from a fiber.
  virtual void SleepUntil(core::Nanos deadline) = 0;
  // Starts `body` as a new fiber; it first runs after the caller yields or returns.
  virtual void Spawn(std::function<void()> body) = 0;
  // A client for fiber number `index` (0-based), connected to one of the targets chosen by the
  // runtime (round-robin over nodes). The client is used by one fiber at a time.
  virtual std::unique_ptr<Client> Connect(int index) = 0;

  // Parks the calling fiber until Wake(fiber) is called. The building block of WaitQueue.
  virtual void Park() = 0;
  // Makes a parked fiber runnable at the current time (it runs after the caller yields).
  virtual void Wake(class Fiber* fiber) = 0;
};

}  // namespace kvlab::workloads
