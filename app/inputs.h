// Checks of command-line inputs that several subcommands share, so that a directory, an empty
// file or a missing file never passes as input (issue 12): each fails with InvalidArgument and a
// one-line reason naming the flag and the path. Also the choices that --help lists.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "workloads/scenario.h"

namespace kvlab::app {

// `path` exists, is a regular file and is not empty. `what` names it: "history file", "--trace".
absl::Status CheckInputFile(std::string_view what, const std::string& path);

// A built-in scenario by name, or a TOML file that CheckInputFile accepts (never a directory).
// `flag` names the option in errors ("--scenario").
absl::StatusOr<workloads::Scenario> FindScenarioArg(std::string_view flag, const std::string& name_or_path);

// Creates the output directory `path` and its parents if needed.
absl::Status MakeOutputDir(std::string_view what, const std::string& path);

// "throughput, latency, ..." : the built-in scenario names.
std::string ScenarioNames();
// One line per --faults mode: "  crash      a node crashes ...".
std::string FaultModesHelp();
// One line per kind of scheduled fault in a scenario file's [[faults]].
std::string ScheduledFaultsHelp();

// The version line of `kvlab --version`.
std::string VersionLine();

}  // namespace kvlab::app
