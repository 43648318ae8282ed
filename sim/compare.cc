#include "sim/compare.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/trace.h"
#include "workloads/confidence.h"

namespace kvlab::sim {
namespace {

// The lower median: an element of `values`, so a table never shows a figure no run produced.
double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[(values.size() - 1) / 2];
}

// A figure with `decimals` decimals, or "-" for none (negative).
std::string Figure(double v, int decimals) { return v < 0 ? std::string("-") : absl::StrFormat("%.*f", decimals, v); }

double Metric(const workloads::RunReport& r, const char* name) {
  auto it = r.metrics.find(name);
  return it == r.metrics.end() ? -1 : it->second;
}

// The eventual figures and the message costs of a summary row (see CompareRow).
void SummarizeCosts(const core::PolicyChoice& policy, const std::vector<workloads::RunReport>& runs, CompareRow& row) {
  std::vector<double> convergence, messages;
  double rate_sum = 0, analytic_sum = 0;
  int rates = 0, analytic_runs = 0;
  for (const workloads::RunReport& r : runs) {
    if (double v = Metric(r, "stale_read_rate"); v >= 0) rate_sum += v, ++rates;
    if (double v = Metric(r, "linearizability_violations"); v >= 0) {
      row.linearizability_violations = std::max(row.linearizability_violations, 0.0) + v;
    }
    if (double v = Metric(r, "convergence_s"); v >= 0) convergence.push_back(v);
    if (double v = Metric(r, "peer_messages_per_op"); v >= 0) messages.push_back(v);
    const double wf = Metric(r, "write_fraction");
    const core::PolicyInfo& info = *policy.info;
    if (wf >= 0 && info.messages_per_write != nullptr && info.messages_per_read != nullptr) {
      analytic_sum += wf * info.messages_per_write(policy.params, r.nodes) +
                      (1 - wf) * info.messages_per_read(policy.params, r.nodes);
      ++analytic_runs;
    }
  }
  if (rates > 0) row.stale_read_rate = rate_sum / rates;
  if (!convergence.empty()) row.median_convergence_s = Median(std::move(convergence));
  if (!messages.empty()) row.median_messages_per_op = Median(std::move(messages));
  if (analytic_runs > 0) row.analytic_messages_per_op = analytic_sum / analytic_runs;
}

// The runs of one policy on one scenario, every seed of the range.
absl::Status RunSeeds(const CompareOptions& options, const workloads::Scenario& scenario,
                      const core::PolicyChoice& policy, const CompareRunHook& on_run, CompareResult& result) {
  std::vector<workloads::RunReport> runs;
  int failed = 0;
  for (uint64_t seed : SeedsOfShard(options.seeds, Shard{})) {
    SimRunOptions run;
    run.scenario = scenario;
    run.policy = policy;
    run.seed = seed;
    run.faults = options.faults;
    run.costs = options.costs;
    run.costs_path = options.costs_path;
    absl::StatusOr<SimRunOutcome> outcome = RunSimulation(run);
    if (!outcome.ok()) return outcome.status();
    if (on_run) on_run(run, *outcome);
    failed += outcome->ok() ? 0 : 1;
    runs.push_back(outcome->report);
  }
  result.rows.push_back(SummarizeRuns(scenario.name, policy, runs, failed));
  result.failed += failed;
  result.reports.insert(result.reports.end(), runs.begin(), runs.end());
  return absl::OkStatus();
}

}  // namespace

CompareRow SummarizeRuns(const std::string& scenario, const core::PolicyChoice& policy,
                         const std::vector<workloads::RunReport>& runs, int failed) {
  CompareRow row;
  row.scenario = scenario;
  row.policy = policy.label();
  row.runs = static_cast<int>(runs.size());
  row.failed = failed;
  std::vector<double> ops_s, p50, p99, msgs, view_msgs, fsyncs;
  for (const workloads::RunReport& r : runs) {
    row.errors += r.errors;
    row.mean_ops_s += r.throughput_ops_s / static_cast<double>(runs.size());
    ops_s.push_back(r.throughput_ops_s);
    p50.push_back(r.latency.p50_us);
    p99.push_back(r.latency.p99_us);
    if (auto it = r.metrics.find("unavailability_s"); it != r.metrics.end()) row.unavailability_s.push_back(it->second);
    if (auto it = r.metrics.find("throughput_dip"); it != r.metrics.end()) row.throughput_dip.push_back(it->second);
    if (auto it = r.metrics.find("peer_messages_per_write"); it != r.metrics.end()) msgs.push_back(it->second);
    if (auto it = r.metrics.find("view_msgs_per_op"); it != r.metrics.end()) view_msgs.push_back(it->second);
    if (auto it = r.metrics.find("fsyncs_per_write"); it != r.metrics.end()) fsyncs.push_back(it->second);
    if (auto it = r.metrics.find("lost_acked_writes"); it != r.metrics.end()) {
      row.lost_acked_writes = std::max(row.lost_acked_writes, 0.0) + it->second;
    }
  }
  row.ops_s_ci95 = workloads::MeanHalfWidth95(ops_s);
  row.p50_ci95 = workloads::MedianInterval95(p50);
  row.p99_ci95 = workloads::MedianInterval95(p99);
  row.median_p50_us = Median(std::move(p50));
  row.median_p99_us = Median(std::move(p99));
  if (!fsyncs.empty()) row.median_fsyncs_per_write = Median(std::move(fsyncs));
  if (!msgs.empty()) row.median_msgs_per_write = Median(std::move(msgs));
  if (!view_msgs.empty()) row.median_view_msgs_per_op = Median(std::move(view_msgs));
  std::sort(row.unavailability_s.begin(), row.unavailability_s.end());
  std::sort(row.throughput_dip.begin(), row.throughput_dip.end());
  SummarizeCosts(policy, runs, row);
  return row;
}

absl::StatusOr<CompareResult> RunCompare(const CompareOptions& options, const CompareRunHook& on_run) {
  CompareResult result;
  for (const workloads::Scenario& scenario : options.scenarios) {
    for (const core::PolicyChoice& policy : options.policies) {
      if (absl::Status s = RunSeeds(options, scenario, policy, on_run, result); !s.ok()) return s;
    }
  }
  return result;
}

std::string FormatUnavailability(const std::vector<double>& windows_s) {
  if (windows_s.empty()) return "-";
  return absl::StrFormat("median %.3f s, max %.3f s (%d runs)", Median(windows_s),
                         *std::max_element(windows_s.begin(), windows_s.end()), windows_s.size());
}

std::string FormatDip(const std::vector<double>& dips) {
  if (dips.empty()) return "-";
  return absl::StrFormat("median %.0f%%, max %.0f%% (%d runs)", 100 * Median(dips),
                         100 * *std::max_element(dips.begin(), dips.end()), dips.size());
}

int LabelWidth(const std::vector<core::PolicyChoice>& policies) {
  size_t width = 0;
  for (const core::PolicyChoice& p : policies) width = std::max(width, p.label().size());
  return static_cast<int>(width);
}

std::string FormatCompareRun(const SimRunOptions& options, const SimRunOutcome& outcome, int label_width) {
  const workloads::RunReport& r = outcome.report;
  const auto unavailable = r.metrics.find("unavailability_s");
  const auto dip = r.metrics.find("throughput_dip");
  std::string line = absl::StrFormat(
      "%-17s %-*s seed %-4d %8.0f ops/s  p50 %8.0f us  p99 %8.0f us  errors %-5d unavailable %s  dip %s  check %s\n",
      options.scenario.name, label_width, options.policy.label(), options.seed, r.throughput_ops_s, r.latency.p50_us,
      r.latency.p99_us, r.errors,
      unavailable == r.metrics.end() ? std::string("-") : absl::StrFormat("%.3f s", unavailable->second),
      dip == r.metrics.end() ? std::string("-") : absl::StrFormat("%.0f%%", 100 * dip->second),
      outcome.ok() ? "ok" : "FAILED");
  for (const std::string& p : outcome.problems) absl::StrAppend(&line, "  PROBLEM: ", p, "\n");
  if (!outcome.ok()) absl::StrAppend(&line, "  replay: ", ReplayCommand(options), "\n");
  return line;
}

namespace {
std::string OrDash(double v) { return v < 0 ? std::string("-") : absl::StrFormat("%.2f", v); }
}  // namespace

// "1234 ± 56" (one run: "1234").
std::string MeanWithCi(double mean, double half_width) {
  return half_width > 0 ? absl::StrFormat("%.0f ± %.0f", mean, half_width) : absl::StrFormat("%.0f", mean);
}

// "671 [650, 700]" (under 6 runs: "671").
std::string MedianWithCi(double median, const std::optional<std::pair<double, double>>& ci) {
  return ci ? absl::StrFormat("%.0f [%.0f, %.0f]", median, ci->first, ci->second) : absl::StrFormat("%.0f", median);
}

std::string SummaryTable(const std::vector<CompareRow>& rows, CompareWorld world) {
  std::string md = absl::StrCat(
      "| scenario | policy | runs | failed | errors | ",
      world == CompareWorld::kSim ? "ops/s (virtual, mean ± 95% CI)" : "ops/s (mean ± 95% CI)",
      " | p50 us (median [95% CI]) | p99 us (median [95% CI]) "
      "| unavailability after a crash | throughput dip after a crash | lost acked writes | stale reads (rate) | "
      "linearizability violations "
      "| convergence after heal (median) | peer msgs/op (measured, median) | peer msgs/op (analytic) "
      "| msgs/write (data path) | fsyncs/write (all nodes) | view msgs/op |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const CompareRow& row : rows) {
    absl::StrAppendFormat(
        &md, "| %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
        row.scenario, row.policy, row.runs, row.failed, row.errors, MeanWithCi(row.mean_ops_s, row.ops_s_ci95),
        MedianWithCi(row.median_p50_us, row.p50_ci95), MedianWithCi(row.median_p99_us, row.p99_ci95),
        FormatUnavailability(row.unavailability_s), FormatDip(row.throughput_dip),
        row.lost_acked_writes < 0 ? std::string("-") : absl::StrFormat("%.0f", row.lost_acked_writes),
        Figure(row.stale_read_rate, 4), Figure(row.linearizability_violations, 0),
        row.median_convergence_s < 0 ? std::string("-") : absl::StrFormat("%.3f s", row.median_convergence_s),
        Figure(row.median_messages_per_op, 1), Figure(row.analytic_messages_per_op, 1),
        OrDash(row.median_msgs_per_write), OrDash(row.median_fsyncs_per_write), OrDash(row.median_view_msgs_per_op));
  }
  return md;
}

std::string RunsTable(const std::vector<workloads::RunReport>& reports, CompareWorld world) {
  std::string md = absl::StrCat("| scenario | policy | nodes | seed | ops | errors | ",
                                world == CompareWorld::kSim ? "ops/s (virtual)" : "ops/s",
                                " | p50 us | p99 us | max us | unavailable s "
                                "| check | trace_hash |\n"
                                "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : reports) {
    const auto unavailable = r.metrics.find("unavailability_s");
    absl::StrAppendFormat(
        &md, "| %s | %s | %d | %d | %d | %d | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n", r.scenario, r.policy,
        r.nodes, r.seed, r.ops, r.errors, r.throughput_ops_s, r.latency.p50_us, r.latency.p99_us, r.latency.max_us,
        unavailable == r.metrics.end() ? std::string("-") : absl::StrFormat("%.3f", unavailable->second),
        r.check && r.check->ok ? "ok" : "FAILED", r.trace_hash ? Hex64(*r.trace_hash) : std::string("-"));
  }
  return md;
}

absl::Status WriteCompareResults(const std::string& dir, const std::string& command, const CompareResult& result) {
  return WriteCompareFiles(dir,
                           absl::StrCat("# Simulated comparison (`", command,
                                        "`)\n\nThroughput is in virtual time, from the simulator's calibrated cost "
                                        "model.\n\n"),
                           result, CompareWorld::kSim);
}

absl::Status WriteCompareFiles(const std::string& dir, const std::string& heading, const CompareResult& result,
                               CompareWorld world) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : result.reports) all.push_back(workloads::ToJson(r));
  std::ofstream json(dir + "/compare.json");
  std::ofstream md(dir + "/compare.md");
  json << all.dump(2) << "\n";
  md << heading << SummaryTable(result.rows, world) << "\n## Every run\n\n" << RunsTable(result.reports, world);
  if (!json || !md) return absl::InvalidArgumentError(absl::StrCat("cannot write results to '", dir, "'"));
  return absl::OkStatus();
}

}  // namespace kvlab::sim
