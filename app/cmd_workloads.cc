// kvlab check / kvlab scenarios: placeholder until the workloads layer lands (issue: Workloads).
#include "app/commands.h"

namespace kvlab::app {
void AddWorkloadCommands(CLI::App&) {}
}  // namespace kvlab::app
