// The `kvlab` command: CLI11 wiring only; every subcommand's logic lives in its layer.
#include <cstdio>

#include "app/commands.h"
#include "app/inputs.h"

namespace kvlab::app {
namespace {
int exit_code = 0;
}  // namespace
void SetExitCode(int code) { exit_code = code; }
}  // namespace kvlab::app

int main(int argc, char** argv) {
  CLI::App app{"kvlab: a replicated key-value store and its deterministic simulator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kvlab::app::VersionLine(), "Print the version and exit");
  kvlab::app::AddSimCommand(app);
  kvlab::app::AddNodeCommand(app);
  kvlab::app::AddBenchCommand(app);
  kvlab::app::AddWorkloadCommands(app);
  kvlab::app::AddPoliciesCommand(app);
  kvlab::app::AddWalCommand(app);
  kvlab::app::AddResultsCommands(app);
  kvlab::app::AddCalibrateCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 (DESIGN.md); --help exits 0.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return kvlab::app::exit_code;
}
