// kvlab policies: lists the registry (core/policy/registry.h): CLI wiring only.
#include <cstdio>
#include <string>

#include "absl/strings/str_join.h"
#include "app/commands.h"
#include "core/policy/registry.h"

namespace kvlab::app {
namespace {

int ListPolicies() {
  for (const core::PolicyInfo* p : core::Policies()) {
    const std::string name(p->name);
    std::printf("%s%s: %s\n", name.c_str(), p == &core::DefaultPolicy() ? " (default)" : "",
                std::string(p->description).c_str());
    std::printf("  promise: %s%s\n", core::ConsistencyName(p->promise),
                p->durable ? ", acknowledged writes survive crashes" : "");
    std::printf("  nodes: %d (runs on %d..%d); tolerates %d faulty of %d\n", p->default_nodes, p->min_nodes,
                p->max_nodes, p->max_faulty(p->default_nodes), p->default_nodes);
    const std::vector<std::string> survives(p->survives.begin(), p->survives.end());
    std::printf("  survives faults: %s\n", absl::StrJoin(survives, ", ").c_str());
    if (p->params.empty()) std::printf("  parameters: none\n");
    for (const core::ParamSpec& spec : p->params) {
      std::printf("  --param %s.%s\n", name.c_str(), core::DescribeParam(spec).c_str());
    }
  }
  return 0;
}

}  // namespace

void AddPoliciesCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("policies", "list the replication policies: promise, sizes, faults, parameters");
  cmd->callback([] { SetExitCode(ListPolicies()); });
}

}  // namespace kvlab::app
