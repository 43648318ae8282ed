// kvlab bench: placeholder until the real driver lands (issue: Workloads).
#include "app/commands.h"

namespace kvlab::app {
void AddBenchCommand(CLI::App&) {}
}  // namespace kvlab::app
