// kvlab gate: CLI wiring only; the logic lives in workloads/regression.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "app/plotting.h"
#include "workloads/merge.h"
#include "workloads/regression.h"

namespace kvlab::app {
namespace {

int ResultsError(const std::string& command, const absl::Status& status) {
  std::fprintf(stderr, "kvlab %s: %s\n", command.c_str(), std::string(status.message()).c_str());
  return 2;
}

// The run reports of every file, in order.
absl::StatusOr<std::vector<nlohmann::json>> LoadAll(const std::vector<std::string>& paths) {
  std::vector<nlohmann::json> all;
  for (const std::string& path : paths) {
    auto reports = workloads::LoadRunReports(path);
    if (!reports.ok()) return reports.status();
    all.insert(all.end(), reports->begin(), reports->end());
  }
  return all;
}

struct GateFlags {
  std::vector<std::string> baseline_runs;
  std::vector<std::string> runs;
  std::string tolerance = "0%";
  double alpha = 0.05;
  int min_runs = workloads::kMinStatisticalRuns;
  bool paired = false;
};

int RunGate(const GateFlags& f) {
  auto baseline = LoadAll(f.baseline_runs);
  if (!baseline.ok()) return ResultsError("gate", baseline.status());
  auto current = LoadAll(f.runs);
  if (!current.ok()) return ResultsError("gate", current.status());
  auto tolerance = workloads::ParseTolerance(f.tolerance);
  if (!tolerance.ok()) return ResultsError("gate", tolerance.status());
  if (!(f.alpha > 0 && f.alpha < 1)) return ResultsError("gate", absl::InvalidArgumentError("--alpha: want 0 < a < 1"));
  if (f.min_runs < 1) return ResultsError("gate", absl::InvalidArgumentError("--min-runs: want at least 1"));
  workloads::GateReport report;
  if (f.paired) {
    report = workloads::CompareToBaseline(*baseline, *current, *tolerance);
  } else {
    auto tested = workloads::StatisticalGate(*baseline, *current,
                                             {.alpha = f.alpha, .tolerance = *tolerance, .min_runs = f.min_runs});
    if (!tested.ok()) return ResultsError("gate", tested.status());
    report = *std::move(tested);
  }
  std::fputs(workloads::FormatGateReport(report).c_str(), stdout);
  return report.ok() ? 0 : 1;
}

void AddGate(CLI::App& app) {
  auto flags = std::make_shared<GateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gate", "Regression gate over result files: repeated real-world runs compared with a Mann-Whitney U test");
  cmd->add_option("--baseline-runs", flags->baseline_runs, "Result files of the baseline runs (JSON, JSON lines)")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--runs", flags->runs, "Result files of the runs to judge")->required()->expected(1, -1);
  cmd->add_option("--alpha", flags->alpha, "One-sided significance level")->capture_default_str();
  cmd->add_option("--tolerance", flags->tolerance, "The medians must also be worse by more than this, in percent")
      ->capture_default_str();
  cmd->add_option("--min-runs", flags->min_runs, "Fewest runs per side and scenario/policy/world")
      ->capture_default_str();
  cmd->add_flag("--paired", flags->paired,
                "Deterministic (simulated) figures: match runs seed for seed and compare each value, as "
                "`compare --baseline` does");
  cmd->callback([flags] { SetExitCode(RunGate(*flags)); });
}

void AddPlot(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>("plots");
  CLI::App* cmd = app.add_subcommand(
      "plot", "Plot result files with gnuplot: throughput and p99 over time with faults, latency CDF, CI bars");
  cmd->add_option("results", *paths, "Result files (compare.json, sim/bench --json lines)")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--out", *out, "Folder for the .gp scripts and .png pictures")->capture_default_str();
  cmd->callback([paths, out] {
    auto runs = LoadAll(*paths);
    if (!runs.ok()) return SetExitCode(ResultsError("plot", runs.status()));
    if (absl::Status s = WritePlots(*runs, *out); !s.ok()) return SetExitCode(ResultsError("plot", s));
    SetExitCode(0);
  });
}

int RunMerge(const std::vector<std::string>& paths, const std::string& out_path) {
  auto runs = LoadAll(paths);
  if (!runs.ok()) return ResultsError("merge", runs.status());
  auto merged = workloads::MergeRuns(*std::move(runs));
  if (!merged.ok()) return ResultsError("merge", merged.status());
  std::fputs(workloads::FormatMerge(*merged).c_str(), stdout);
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    for (const nlohmann::json& r : merged->runs) out << r.dump() << "\n";
    if (!out) return ResultsError("merge", absl::InvalidArgumentError(absl::StrCat("cannot write '", out_path, "'")));
  }
  return merged->failed == 0 ? 0 : 1;
}

void AddMerge(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Combine sweep shards (JSON lines): pass/fail per policy and fault mode, failing seeds, throughput");
  cmd->add_option("shards", *paths, "Shard files (sim --json)")->required()->expected(1, -1);
  cmd->add_option("--out", *out, "Also write the merged runs, sorted, without wall-clock fields, as JSON lines");
  cmd->callback([paths, out] { SetExitCode(RunMerge(*paths, *out)); });
}

}  // namespace

void AddResultsCommands(CLI::App& app) {
  AddGate(app);
  AddPlot(app);
  AddMerge(app);
}

}  // namespace kvlab::app
