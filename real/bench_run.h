// One workload run against real RESP servers (`kvlab bench`), end to end, as sim/run.h does in the
// simulator: checks the targets answer, optionally empties them, drives the scenario as fibers on
// an epoll loop, reads back every key an acknowledged (or possibly applied) write touched, and
// checks the whole history for consistency.
//
// The scenario's fault schedule is applied only with `cluster_dir` (kvlab bench --cluster DIR):
// through the control channel of the `kvlab cluster` running there (real/nemesis.h), with the
// failure figures in report.metrics. Otherwise kvlab bench does not control the servers it is
// pointed at (they may be redis-server or someone else's cluster), and the outcome's `notes` say so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/types.h"
#include "real/nemesis.h"
#include "real/real_runtime.h"
#include "workloads/history.h"
#include "workloads/report.h"
#include "workloads/scenario.h"

namespace kvlab::real {

// After the measured run, the read-back of written keys must finish within this much time.
inline constexpr core::Nanos kBenchReadbackDeadline = core::Seconds(30);
// A guard on a whole run (every request is bounded by the scenario's timeout anyway).
inline constexpr core::Nanos kDefaultBenchRunLimit = core::Seconds(24 * 3600);
static_assert(kBenchReadbackDeadline < kDefaultBenchRunLimit);

struct BenchOptions {
  workloads::Scenario scenario;
  std::vector<Target> targets;
  uint64_t seed = 1;
  // What the targets are, for the report's `policy` field (e.g. "redis", "kvlab-fsync").
  std::string label = "external";
  std::string model = "linearizable";  // or "eventual": the consistency checker to run.
  bool flush = false;                  // FLUSHALL the first target before the run.
  std::string password;                // AUTH on every connection before anything else.
  std::string key_prefix;              // prepended to every key (never with flush: FLUSHALL empties all).
  bool progress = false;               // progress lines on stderr.
  core::Nanos run_limit = kDefaultBenchRunLimit;
  // The data dir of a running `kvlab cluster`: its nodes are the targets (when none are given)
  // and the scenario's faults are applied to them. A fault real processes cannot undergo is a
  // kInvalidArgument naming it, before the run.
  std::string cluster_dir;
};

struct BenchOutcome {
  workloads::RunReport report;
  std::vector<workloads::HistoryOp> history;
  std::string check_details;          // the checker's text when it found a violation.
  std::vector<std::string> problems;  // the run or the read-back did not finish, ...
  std::vector<std::string> notes;     // e.g. faults not applied.
  // With --cluster, for pb and chain: the views seen during the run, and the measured start their
  // times count from.
  std::vector<ViewChange> views;
  core::Nanos measured_start = 0;
  bool ok() const { return problems.empty() && (!report.check || report.check->ok); }
};

// kInvalidArgument for a bad scenario or options (a target name that does not resolve); kUnavailable
// naming the first target that does not answer ("target 127.0.0.1:1 is unreachable: ...").
absl::StatusOr<BenchOutcome> RunBench(const BenchOptions& options);

// Replaces host names with their IPv4 address (getaddrinfo); addresses stay. kInvalidArgument
// naming the target whose name does not resolve.
absl::Status ResolveTargets(std::vector<Target>* targets);

}  // namespace kvlab::real
