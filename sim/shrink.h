// Shrinking a failing simulated run: a smaller run that still fails the same way, found by delta
// debugging (Zeller's ddmin) over the scenario's fault schedule, then dropping the random fault
// process, then halving operations, clients and keys. Every candidate is one deterministic
// RunSimulation, so the result is a pure function of the input and replays exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/run.h"

namespace kvlab::sim {

// At most this many candidate runs by default (a bound the caller may lower or raise up to
// kMaxShrinkRuns): the budget is counted in runs, not wall time, so a shrink gives the same answer
// on a fast and a slow machine.
inline constexpr int kDefaultShrinkRuns = 200;
inline constexpr int kMaxShrinkRuns = 100'000;

// How a run failed, coarse enough that a smaller run failing "the same way" matches: the checker's
// verdict and the kinds of problems (a problem's text up to its first ':').
std::string FailureSignature(const SimRunOutcome& outcome);

struct ShrinkStats {
  int faults = 0;  // fault events the run applied (scheduled and random).
  uint64_t ops = 0;
  int clients = 0;
  uint64_t keys = 0;
  int scheduled_faults = 0;
  std::string random_faults;  // the --faults mode.
};

struct ShrinkResult {
  SimRunOptions smallest;  // equal to the input when nothing smaller fails the same way.
  SimRunOutcome outcome;   // of `smallest`.
  std::string signature;
  ShrinkStats before, after;
  std::vector<std::string> removed;  // what was taken away, one line per step that kept failing.
  int runs = 0;                      // candidate runs made.
};

using ShrinkProgress = std::function<void(const std::string& line)>;

// FailedPrecondition when `options` does not fail; InvalidArgument from RunSimulation.
absl::StatusOr<ShrinkResult> Shrink(const SimRunOptions& options, int max_runs = kDefaultShrinkRuns,
                                    const ShrinkProgress& progress = nullptr);

}  // namespace kvlab::sim
