// Identical units of one host's resource (its CPU cores, its disks) that every simulated node, and
// for CPUs the benchmark client, share when they run on one host (a loopback cluster: the real
// runs the model is calibrated against). A node's turn, a client's send or a sync occupies one unit
// for its duration; with every unit busy, work waits for the first to free. Zero units means no
// sharing: each node has a resource of its own (the model of a cluster spread over hosts).
// Deterministic: ties go to the lowest-numbered unit. A unit is booked as one busy-until time: work
// booked to start later blocks its unit from now on, so it goes to the unit that frees last.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/assert.h"
#include "core/types.h"

namespace kvlab::sim {

// More units than this is a configuration error (a profile's [cpu] cores and [disk] devices).
inline constexpr int kMaxSharedUnits = 1024;

class UnitPool {
 public:
  explicit UnitPool(int units) : free_at_(static_cast<size_t>(units), 0) {
    KV_ASSERT(units >= 0 && units <= kMaxSharedUnits);
  }

  bool shared() const { return !free_at_.empty(); }
  // The earliest time at or after `at` when a unit is free (`at` itself without sharing).
  core::Nanos FreeAt(core::Nanos at) const {
    if (!shared()) return at;
    return std::max(at, *std::min_element(free_at_.begin(), free_at_.end()));
  }
  // A unit free at `start` is busy until start + cost: of those, the one that freed last (best
  // fit), so work booked ahead (a sync thread's, to run when a turn ends) does not block a unit
  // that is idle until then. Ties go to the lowest-numbered unit. REQUIRES: FreeAt(start) == start.
  void Occupy(core::Nanos start, core::Nanos cost) {
    if (!shared()) return;
    auto best = free_at_.end();
    for (auto unit = free_at_.begin(); unit != free_at_.end(); ++unit) {
      if (*unit <= start && (best == free_at_.end() || *unit > *best)) best = unit;
    }
    KV_ASSERT(best != free_at_.end());
    *best = start + cost;
  }

 private:
  std::vector<core::Nanos> free_at_;  // per unit: when its current work ends.
};

}  // namespace kvlab::sim
