// Each `kvlab` subcommand registers itself on the CLI11 app; its logic lives in its layer.
// A subcommand's callback returns the process exit code through SetExitCode (DESIGN.md:
// 0 all checks passed, 1 a check failed, 2 usage/configuration/input error).
#pragma once

#include <CLI/CLI.hpp>

namespace kvlab::app {

void SetExitCode(int code);

void AddSimCommand(CLI::App& app);        // app/cmd_sim.cc       kvlab sim, kvlab compare, trace-diff
void AddNodeCommand(CLI::App& app);       // app/cmd_node.cc      kvlab node, kvlab cluster
void AddBenchCommand(CLI::App& app);      // app/cmd_bench.cc     kvlab bench
void AddWorkloadCommands(CLI::App& app);  // app/cmd_workloads.cc kvlab check, kvlab scenarios
void AddPoliciesCommand(CLI::App& app);   // app/cmd_policies.cc  kvlab policies
void AddWalCommand(CLI::App& app);        // app/cmd_wal.cc       kvlab wal check, kvlab wal repair
void AddResultsCommands(CLI::App& app);   // app/cmd_results.cc   kvlab gate, kvlab merge, kvlab plot
void AddCalibrateCommand(CLI::App& app);  // app/cmd_calibrate.cc kvlab calibrate

}  // namespace kvlab::app
