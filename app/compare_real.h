// `kvlab compare --world real`: the simulated comparison's table (sim/compare.h) produced from real
// processes. For each policy a `kvlab cluster --proxy` on loopback (a child process of this one, in
// a temporary data dir), each scenario and seed run against it through `kvlab bench --cluster`
// (real/bench_run.h: the nemesis applies the scenario's fault schedule, every acknowledged key is
// read back) and judged by the policy's promise (app/real_verdict.h), then one summary row per
// (scenario, policy) as the simulator's. Scenarios are shrunk by a scale (ops, durations and fault
// times), so a cell takes seconds. What real processes cannot do is refused by name before any
// cluster starts: random faults (the simulator draws them), and a scenario fault the nemesis cannot
// apply (a disk or clock fault).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/policy/registry.h"
#include "real/bench_run.h"
#include "sim/compare.h"
#include "sim/seed_range.h"
#include "workloads/scenario.h"

namespace kvlab::app {

inline constexpr double kDefaultRealScale = 0.1;
inline constexpr uint64_t kMinScaledOps = 100;  // a scaled closed-loop scenario keeps at least this.
inline constexpr core::Nanos kMinScaledDuration = core::Seconds(1);
inline constexpr core::Nanos kClusterReadyDeadline = core::Seconds(30);
inline constexpr core::Nanos kClusterStopDeadline = core::Seconds(20);
inline constexpr int kRealCompareNodes = 3;  // single: 1.

struct RealCompareOptions {
  std::vector<core::PolicyChoice> policies;
  std::vector<workloads::Scenario> scenarios;
  sim::SeedRange seeds;
  double scale = kDefaultRealScale;  // (0, 1]: ops, durations and fault times multiplied by it.
  bool random_faults = false;        // --faults other than none: refused.
};

// Called after each run, for progress output.
using RealRunHook = std::function<void(const real::BenchOutcome& outcome)>;

// kInvalidArgument naming what cannot run for real; kUnavailable when a cluster does not start.
absl::StatusOr<sim::CompareResult> RunRealCompare(const RealCompareOptions& options, const RealRunHook& on_run = {});

// The scenario shrunk by `scale`: ops (at least kMinScaledOps and the client count, never more than
// before), duration (at least kMinScaledDuration), fault times and hold durations.
workloads::Scenario ScaleScenario(const workloads::Scenario& scenario, double scale);

// One line per run: scenario, policy, seed, throughput, latency, errors, unavailability, verdict.
std::string FormatRealRun(const real::BenchOutcome& outcome);

}  // namespace kvlab::app
