// Writes the plots of run reports (workloads/plot.h) into a folder and renders them with gnuplot:
// NAME.gp (the script, data inline) and NAME.png per plot. Shared by `kvlab plot` and the --plot
// flags of sim and compare.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace kvlab::app {

// InvalidArgument when DIR cannot be written or gnuplot is missing (install gnuplot-nox) or fails.
absl::Status WritePlots(const std::vector<nlohmann::json>& runs, const std::string& dir);

}  // namespace kvlab::app
