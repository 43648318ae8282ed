// Plots of run results as gnuplot scripts (issue 16): throughput and p99 latency over time with the
// run's fault windows shaded and fault events marked, one line per policy; a latency CDF per
// policy; and, for a comparison over several seeds, throughput bars with 95% confidence intervals
// per scenario and policy. Pure text generation: each script holds its data inline and writes
// one PNG; the caller runs gnuplot (app/). Input is run reports as ToJson writes them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kvlab::workloads {

// More policies than this in one plot would not be readable; the rest are left out (and named).
inline constexpr size_t kMaxPlotLines = 12;

struct PlotScript {
  std::string name;    // "failure-throughput": the script is NAME.gp, the picture NAME.png.
  std::string script;  // a complete gnuplot script.
};

// Every plot for `runs`, pictures written into `out_dir` (which the scripts name). Per scenario,
// the lowest seed of each policy is drawn over time (every policy of one seed faces the same
// faults); the bars use every seed.
std::vector<PlotScript> PlotScripts(const std::vector<nlohmann::json>& runs, const std::string& out_dir);

// Two-sided 95% Student t quantile for `dof` degrees of freedom (1.96 beyond the table).
double T95(int dof);

}  // namespace kvlab::workloads
