// kvlab wal check|repair: CLI wiring only; the logic lives in real/wal_tool.
#include <memory>
#include <string>

#include "app/commands.h"
#include "real/wal_tool.h"

namespace kvlab::app {

void AddWalCommand(CLI::App& app) {
  CLI::App* wal = app.add_subcommand("wal", "Inspect or repair a node's data dir (the redis-check-aof of kvlab)");
  wal->require_subcommand(1);
  auto check_dir = std::make_shared<std::string>();
  CLI::App* check = wal->add_subcommand(
      "check",
      "Per file: records, bytes, a torn tail, the first corrupt record's offset and reason; then whether recovery "
      "succeeds. Never writes. Exit 0 clean (a torn tail is clean: the node cuts it at start), 1 corrupt, 2 bad input");
  check->add_option("dir", *check_dir, "The node's --data-dir")->required();
  check->callback([check_dir] { SetExitCode(real::RunWalCheck(*check_dir)); });

  auto repair_dir = std::make_shared<std::string>();
  CLI::App* repair = wal->add_subcommand(
      "repair",
      "Cut each corrupt log at its last good record, after copying it to FILE.bak-N; refuses a dir a running node "
      "holds. Exit 0 clean afterwards, 1 still corrupt (a snapshot cannot be cut), 2 bad input or locked");
  repair->add_option("dir", *repair_dir, "The node's --data-dir (stop the node first)")->required();
  repair->callback([repair_dir] { SetExitCode(real::RunWalRepair(*repair_dir)); });
}

}  // namespace kvlab::app
