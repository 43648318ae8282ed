// `kvlab compare`: the same scenarios and seeds for several policies (or several parameter settings
// of one policy, told apart by their labels), run in the simulator and laid side by side: one line
// per run, one summary row per (scenario, policy) with its unavailability windows, and the results
// written as compare.json and compare.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/policy/registry.h"
#include "sim/faults.h"
#include "sim/run.h"
#include "sim/seed_range.h"
#include "workloads/report.h"
#include "workloads/scenario.h"

namespace kvlab::sim {

struct CompareOptions {
  std::vector<core::PolicyChoice> policies;
  std::vector<workloads::Scenario> scenarios;
  SeedRange seeds;
  FaultMode faults = FaultMode::kNone;
  ModelCosts costs = kLoopbackCosts;  // and its file (""), as SimRunOptions.
  std::string costs_path;
};

// One (scenario, policy) over every seed of the comparison.
struct CompareRow {
  std::string scenario;
  std::string policy;  // PolicyChoice::label(): the name, with the parameters that differ from defaults.
  int runs = 0;
  int failed = 0;
  uint64_t errors = 0;
  double mean_ops_s = 0;
  double median_p50_us = 0;
  double median_p99_us = 0;
  // 95% confidence intervals over the seeds: of the mean throughput (half-width), and of the
  // medians of p50 and p99 (distribution-free; none below 6 runs).
  double ops_s_ci95 = 0;
  std::optional<std::pair<double, double>> p50_ci95, p99_ci95;
  // The runs' unavailability windows (sim/run.h: the worst window of a run's crashes, from the
  // crash to the first success of a request sent after it), in seconds, sorted; empty when no run
  // had a crash with a later success.
  std::vector<double> unavailability_s;
  // The runs' throughput dips (metric throughput_dip: the worst crash's fraction of the throughput
  // lost in the second after it, against the rate before it), sorted; empty when no run had one.
  std::vector<double> throughput_dip;
  // Acknowledged writes the runs lost (metric lost_acked_writes: only a policy that promises
  // linearizability until a failover may lose any without failing), summed; -1: no run reports it.
  double lost_acked_writes = -1;
  // Eventual policies' figures (metrics stale_read_rate, linearizability_violations,
  // convergence_s), over the runs that report them: the mean rate, the sum, the median; -1: none.
  double stale_read_rate = -1;
  double linearizability_violations = -1;
  double median_convergence_s = -1;
  // Peer messages per acknowledged op: measured (median of the runs' peer_messages_per_op) and the
  // policy's analytic steady-state cost at the runs' write fraction (-1: the policy declares none).
  double median_messages_per_op = -1;
  double analytic_messages_per_op = -1;
  // Medians of the runs' peer messages per write on the data path, and of the view service's
  // messages per operation (pb, chain); -1: no run reports it.
  double median_msgs_per_write = -1;
  double median_view_msgs_per_op = -1;
  double median_fsyncs_per_write = -1;  // over every node (metric fsyncs_per_write); -1: none.
};

struct CompareResult {
  std::vector<workloads::RunReport> reports;  // scenario-major, then policy, then seed.
  std::vector<CompareRow> rows;               // scenario-major, then policy.
  int failed = 0;                             // runs whose verdict failed.
};

// Called after each run, for progress output.
using CompareRunHook = std::function<void(const SimRunOptions& options, const SimRunOutcome& outcome)>;

// Runs every scenario x policy x seed. InvalidArgument (from RunSimulation) stops it.
absl::StatusOr<CompareResult> RunCompare(const CompareOptions& options, const CompareRunHook& on_run = nullptr);

// One line for a finished run: throughput, latency, errors, unavailability and the verdict. The
// policy label is padded to `label_width` (LabelWidth) so the columns line up.
std::string FormatCompareRun(const SimRunOptions& options, const SimRunOutcome& outcome, int label_width);
// The widest label among `policies`.
int LabelWidth(const std::vector<core::PolicyChoice>& policies);
// "median 2.13 s, max 4.01 s (20 runs)", or "-" for none.
std::string FormatUnavailability(const std::vector<double>& windows_s);
// "median 12%, max 40% (3 runs)", or "-" for none.
std::string FormatDip(const std::vector<double>& dips);
// Folds the runs of one (scenario, policy) into its summary row (the real world's compare too).
CompareRow SummarizeRuns(const std::string& scenario, const core::PolicyChoice& policy,
                         const std::vector<workloads::RunReport>& runs, int failed);

// Which world a table's figures come from: the simulator's throughput is in virtual time.
enum class CompareWorld : uint8_t { kSim, kReal };
// The summary: one markdown row per (scenario, policy).
std::string SummaryTable(const std::vector<CompareRow>& rows, CompareWorld world = CompareWorld::kSim);
// Every run: one markdown row each.
std::string RunsTable(const std::vector<workloads::RunReport>& reports, CompareWorld world = CompareWorld::kSim);

// Writes DIR/compare.json (every run's report) and DIR/compare.md (`command` as its title line,
// the summary and every run). InvalidArgument naming DIR when a file cannot be written.
absl::Status WriteCompareResults(const std::string& dir, const std::string& command, const CompareResult& result);
// The same files with `heading` (markdown: a title and what the figures mean) above the tables.
absl::Status WriteCompareFiles(const std::string& dir, const std::string& heading, const CompareResult& result,
                               CompareWorld world);

}  // namespace kvlab::sim
