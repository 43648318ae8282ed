// kvlab check / kvlab scenarios: CLI wiring only; the logic lives in workloads/.
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "app/inputs.h"
#include "workloads/checker.h"
#include "workloads/history.h"
#include "workloads/scenario.h"

namespace kvlab::app {
namespace {

// Exit codes (DESIGN.md): 0 consistent, 1 violation, 2 bad input.
int RunCheck(const std::string& path, const std::string& model) {
  if (absl::Status s = CheckInputFile("history file", path); !s.ok()) {
    std::fprintf(stderr, "kvlab check: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  auto history = workloads::ReadHistoryFile(path);
  if (!history.ok()) {
    std::fprintf(stderr, "kvlab check: %s\n", std::string(history.status().message()).c_str());
    return 2;
  }
  const workloads::CheckResult result =
      model == "eventual" ? workloads::CheckEventual(*history) : workloads::CheckLinearizable(*history);
  std::fputs(workloads::FormatCheckResult(result).c_str(), stdout);
  return result.ok ? 0 : 1;
}

int ListScenarios(const std::string& toml_of) {
  if (!toml_of.empty()) {
    auto scenario = FindScenarioArg("--toml", toml_of);
    if (!scenario.ok()) {
      std::fprintf(stderr, "kvlab scenarios: %s\n", std::string(scenario.status().message()).c_str());
      return 2;
    }
    std::fputs(workloads::ScenarioToToml(*scenario).c_str(), stdout);
    return 0;
  }
  for (const workloads::Scenario& s : workloads::BuiltinScenarios()) {
    std::printf("%s\n", s.Summary().c_str());
  }
  return 0;
}

}  // namespace

void AddWorkloadCommands(CLI::App& app) {
  CLI::App* check = app.add_subcommand("check", "check a recorded history for consistency");
  auto path = std::make_shared<std::string>();
  auto model = std::make_shared<std::string>("linearizable");
  check->add_option("history", *path, "history file (JSON lines)")->required();
  check->add_option("--model", *model, "consistency model")->check(CLI::IsMember({"linearizable", "eventual"}));
  check->callback([path, model] { SetExitCode(RunCheck(*path, *model)); });

  CLI::App* scenarios = app.add_subcommand("scenarios", "list the built-in scenarios");
  auto toml_of = std::make_shared<std::string>();
  scenarios->add_option("--toml", *toml_of, "print this scenario (built-in or file) as TOML, a start for custom ones");
  scenarios->footer(ScheduledFaultsHelp());
  scenarios->callback([toml_of] { SetExitCode(ListScenarios(*toml_of)); });
}

}  // namespace kvlab::app
