// kvlab check / kvlab scenarios: CLI wiring only; the logic lives in workloads/.
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "app/inputs.h"
#include "workloads/checker.h"
#include "workloads/counterexample_html.h"
#include "workloads/history.h"
#include "workloads/history_file_check.h"
#include "workloads/regression.h"
#include "workloads/scenario.h"

namespace kvlab::app {
namespace {

// The fault events of a run report (sim --json), on the history's clock.
absl::StatusOr<std::vector<workloads::FaultMark>> FaultsOfRun(const std::string& path) {
  std::vector<workloads::FaultMark> marks;
  if (path.empty()) return marks;
  auto runs = workloads::LoadRunReports(path);
  if (!runs.ok()) return runs.status();
  const nlohmann::json& run = runs->front();
  const double start_s = run.value("metrics", nlohmann::json::object()).value("measured_start_s", 0.0);
  for (const nlohmann::json& f : run.value("faults", nlohmann::json::array())) {
    marks.push_back({.at = static_cast<core::Nanos>((start_s + f.value("t_s", 0.0)) * 1e9),
                     .kind = f.value("kind", std::string("?")),
                     .node = f.value("node", core::kNoNode)});
  }
  return marks;
}

// Exit codes (DESIGN.md): 0 consistent, 1 violation, 2 bad input.
int RunCheck(const std::string& path, const std::string& model, const std::string& html_path,
             const std::string& run_path, const std::string& spill_dir) {
  if (absl::Status s = CheckInputFile("history file", path); !s.ok()) {
    std::fprintf(stderr, "kvlab check: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  workloads::FileCheckOptions options;
  options.spill_dir = spill_dir;
  auto checked = workloads::CheckHistoryFile(
      path, model == "eventual" ? workloads::CheckModel::kEventual : workloads::CheckModel::kLinearizable, options);
  if (!checked.ok()) {
    std::fprintf(stderr, "kvlab check: %s\n", std::string(checked.status().message()).c_str());
    return 2;
  }
  const workloads::CheckResult& result = checked->result;
  std::fputs(workloads::FormatCheckResult(result).c_str(), stdout);
  if (checked->buckets > 1)
    std::printf("checked in %llu key buckets\n", static_cast<unsigned long long>(checked->buckets));
  if (!html_path.empty()) {
    auto faults = FaultsOfRun(run_path);
    if (!faults.ok()) {
      std::fprintf(stderr, "kvlab check: %s\n", std::string(faults.status().message()).c_str());
      return 2;
    }
    std::ofstream out(html_path);
    out << workloads::CounterexampleHtml(result, *faults, absl::StrCat("kvlab check ", path));
    if (!out) {
      std::fprintf(stderr, "kvlab check: cannot write '%s'\n", html_path.c_str());
      return 2;
    }
    std::printf("wrote %s\n", html_path.c_str());
  }
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
  auto html = std::make_shared<std::string>();
  auto run = std::make_shared<std::string>();
  check->add_option("--html", *html, "Write the counterexample viewer (one self-contained HTML page) to FILE");
  check->add_option("--run", *run, "The run's result (sim --json): its fault events join the viewer's time line");
  auto spill = std::make_shared<std::string>();
  check->add_option("--spill-dir", *spill,
                    "A history larger than 64 MiB is checked key bucket by key bucket, spilled to a folder "
                    "made here (default: the temp dir)");
  check->callback([path, model, html, run, spill] { SetExitCode(RunCheck(*path, *model, *html, *run, *spill)); });

  CLI::App* scenarios = app.add_subcommand("scenarios", "list the built-in scenarios");
  auto toml_of = std::make_shared<std::string>();
  scenarios->add_option("--toml", *toml_of, "print this scenario (built-in or file) as TOML, a start for custom ones");
  scenarios->footer(ScheduledFaultsHelp());
  scenarios->callback([toml_of] { SetExitCode(ListScenarios(*toml_of)); });
}

}  // namespace kvlab::app
