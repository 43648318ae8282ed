// The regression gate: figures of a run (throughput, p50/p99 latency, messages and fsyncs per
// write) compared with a committed baseline, so CI fails on a change that makes kvlab slower.
//
// Simulated figures are deterministic: the same code gives the same figures, so any change is a
// change in the code and the default tolerance is 0; runs are matched seed for seed. Real-world
// figures are noisy: there the gate compares repeated runs with a one-sided Mann-Whitney U test
// (workloads/mann_whitney.h) and never judges one run against one threshold.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kvlab::workloads {

// Largest result file the gate reads (a 1000-seed compare of every policy is a few MB).
inline constexpr size_t kMaxResultFileBytes = 256u << 20;
// Largest --tolerance, in percent: beyond it the gate would not gate anything.
inline constexpr double kMaxTolerancePercent = 1000;
// The statistical gate needs at least this many runs on each side (issue 16: >= 5 each).
inline constexpr int kMinStatisticalRuns = 5;

// One figure of a run the gate watches, with the direction that is worse.
struct GateFigure {
  std::string name;  // "throughput_ops_s", "latency_us.p99", "metrics.fsyncs_per_write".
  double value = 0;
  bool higher_is_worse = true;
};
// The watched figures of one run report (ToJson's format): throughput (lower is worse), p50 and p99
// latency, and every metric named *_per_write or *_per_op (messages, fsyncs: higher is worse).
std::vector<GateFigure> GateFigures(const nlohmann::json& report);

// "scenario/policy/world", with " seed N" when `with_seed`.
std::string RunKey(const nlohmann::json& report, bool with_seed);

struct GateFinding {
  std::string key;
  std::string figure;
  double baseline = 0;
  double current = 0;
  std::string note;  // the statistical gate's test figures.
};

struct GateReport {
  std::vector<GateFinding> regressions;
  std::vector<GateFinding> improvements;  // not failures: the baseline may want updating.
  int compared = 0;                       // runs (or groups of runs) found on both sides.
  std::vector<std::string> unmatched;     // current runs with no baseline (a new policy or scenario).
  bool ok() const { return regressions.empty(); }
};
// Every regression, improvement and unmatched run, one line each, then a verdict line.
std::string FormatGateReport(const GateReport& report);

// Reads run reports from a JSON array (compare.json), one JSON object, or JSON lines (sim --json,
// bench --json, shards). InvalidArgument naming the file when it is missing, too big or not JSON.
absl::StatusOr<std::vector<nlohmann::json>> LoadRunReports(const std::string& path);

// "2%", "0.5%", "0": a fraction (0.02). InvalidArgument outside 0..kMaxTolerancePercent.
absl::StatusOr<double> ParseTolerance(const std::string& text);

// Deterministic figures: each current run against the baseline run of the same scenario, policy,
// world and seed. A figure regresses when it is worse than the baseline by more than `tolerance`
// (a fraction of the baseline value; with 0, any worsening). Baseline runs with no current run
// are ignored, so a small CI subset can gate against a full baseline.
GateReport CompareToBaseline(const std::vector<nlohmann::json>& baseline, const std::vector<nlohmann::json>& current,
                             double tolerance);

struct StatisticalGateOptions {
  double alpha = 0.05;   // one-sided significance level.
  double tolerance = 0;  // the medians must also differ by more than this fraction.
  int min_runs = kMinStatisticalRuns;
};
// Noisy figures: runs grouped by scenario/policy/world (seeds ignored); a figure regresses when the
// Mann-Whitney U test says the current runs are worse, at level alpha after Holm's correction over
// the figures of the group, and the median moved by more than the tolerance. With 5 runs a side the
// smallest exact one-sided p is 1/252, so up to 12 figures per group can still be flagged. InvalidArgument when a group
// present on both sides has fewer than min_runs on a side.
absl::StatusOr<GateReport> StatisticalGate(const std::vector<nlohmann::json>& baseline,
                                           const std::vector<nlohmann::json>& current,
                                           const StatisticalGateOptions& options);

}  // namespace kvlab::workloads
