// kvlab node / kvlab cluster: placeholder until the real-world layer lands (issue: Real world).
#include "app/commands.h"

namespace kvlab::app {
void AddNodeCommand(CLI::App&) {}
}  // namespace kvlab::app
