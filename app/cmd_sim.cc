// kvlab sim: placeholder until the simulator lands.
#include "app/commands.h"

namespace kvlab::app {
void AddSimCommand(CLI::App&) {}
}  // namespace kvlab::app
