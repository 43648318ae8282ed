// One simulated scenario run, end to end: builds the simulator from the scenario's cost model,
// boots the cluster, drives the workload as fibers in virtual time, injects the scheduled and
// random faults, then heals everything and reads back every key an acknowledged write touched
// (no acknowledged write may be lost, and the cluster must answer within a bounded time once
// faults stop), and checks the whole history for consistency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/policy/registry.h"
#include "sim/default_costs.h"
#include "sim/faults.h"
#include "sim/sim_config.h"
#include "sim/simulator.h"
#include "workloads/history.h"
#include "workloads/report.h"
#include "workloads/scenario.h"

namespace kvlab::sim {

// After faults stop, the final read-back must finish within this much virtual time.
inline constexpr core::Nanos kRecoveryDeadline = core::Seconds(30);
// A crash's throughput dip (metric throughput_dip) compares the successful ops of this long after
// the crash with the measured run's rate before it.
inline constexpr core::Nanos kDipWindow = core::Seconds(1);
// A fresh cluster that is not ready (core::Node::Ready on every node) this far into the run is
// reported as a problem; the workload then starts anyway.
inline constexpr core::Nanos kReadyDeadline = core::Seconds(10);

struct SimRunOptions {
  workloads::Scenario scenario;
  std::string scenario_arg;  // as given on the command line (a name or a file), for the replay line.
  core::PolicyChoice policy = core::DefaultChoice();
  int nodes = 0;  // 0: the policy's default size.
  uint64_t seed = 1;
  FaultMode faults = FaultMode::kNone;
  std::string trace_path;  // event log, if not empty.
  bool progress = false;   // print progress lines to stderr.
  // Tests: builds the nodes instead of the policy (which still names the run, its promise and its
  // fault budget), e.g. a node planted with a bug the verdicts must catch.
  NodeFactory node_factory;
  // What a profile sets besides the scenario's [sim] table (sim/default_costs.h); `costs_path` names
  // its file for the replay line ("": the built-in profile).
  ModelCosts costs = kLoopbackCosts;
  std::string costs_path;
  // NetworkModel::close_reaches_clients: regression seeds found before it existed replay with false.
  bool close_reaches_clients = true;
};

struct SimRunOutcome {
  workloads::RunReport report;
  std::vector<workloads::HistoryOp> history;
  std::string check_details;          // the checker's text when it found a violation.
  std::vector<std::string> problems;  // lost progress, nodes that failed to recover, ...
  std::vector<std::string> notes;     // worth knowing, not a failure (e.g. a refused corrupt disk).
  bool ok() const { return problems.empty() && (!report.check || report.check->ok); }
};

SimConfig ToSimConfig(const workloads::SimParams& params, core::Nanos client_timeout,
                      const ModelCosts& costs = kLoopbackCosts);

// InvalidArgument for a bad policy/cluster/fault schedule or an unwritable trace file.
absl::StatusOr<SimRunOutcome> RunSimulation(const SimRunOptions& options);

// `kvlab sim ...` that reproduces this run exactly.
std::string ReplayCommand(const SimRunOptions& options);

}  // namespace kvlab::sim
