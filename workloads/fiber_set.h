// FiberSet: the fibers one runtime owns, by id. Both runtimes (the simulator's and the real
// driver's) schedule wake-ups their own way (an agenda event, a loop task or timer) and name the
// fiber to wake by its id; this class keeps the id <-> fiber books, resumes by id, frees a fiber
// once it finishes and counts the live ones. One thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "workloads/fiber.h"

namespace kvlab::workloads {

class FiberSet {
 public:
  FiberSet() = default;
  // Fibers that never finished (a run stopped by its deadline) would need an unannotated stack
  // unwind: the run is over, so their stacks are released without running them.
  ~FiberSet();
  FiberSet(const FiberSet&) = delete;
  FiberSet& operator=(const FiberSet&) = delete;

  // Creates a fiber for `body` (not started) and returns its id; ids count up from 0.
  uint64_t Add(std::function<void()> body);
  // The id of a live fiber. REQUIRES: `fiber` came from Add and has not finished.
  uint64_t IdOf(const Fiber* fiber) const;
  // Runs fiber `id` until it suspends or returns; a finished fiber is freed. A no-op for a fiber
  // already finished (a stale wake-up). Safe if the body calls Add.
  void Resume(uint64_t id);

  // The wake-up flag a runtime uses to keep at most one immediate wake-up queued per fiber.
  // TryMarkWakePending returns false if one was already pending.
  bool TryMarkWakePending(uint64_t id);
  void ClearWakePending(uint64_t id) { slots_[id].wake_pending = false; }

  bool AllFinished() const { return live_ == 0; }

 private:
  struct Slot {
    std::unique_ptr<Fiber> fiber;  // null once finished.
    bool wake_pending = false;
  };
  std::vector<Slot> slots_;                          // by id.
  absl::flat_hash_map<const Fiber*, uint64_t> ids_;  // lookups only, never iterated.
  uint64_t live_ = 0;
};

}  // namespace kvlab::workloads
