// kvlab sim / kvlab compare / kvlab trace-diff: CLI wiring only; the logic lives in sim/.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "app/commands.h"
#include "app/compare_real.h"
#include "app/inputs.h"
#include "app/plotting.h"
#include "core/policy/registry.h"
#include "sim/compare.h"
#include "sim/cost_profile.h"
#include "sim/run.h"
#include "sim/seed_range.h"
#include "sim/shrink.h"
#include "sim/trace.h"
#include "workloads/checker.h"
#include "workloads/counterexample_html.h"
#include "workloads/history.h"
#include "workloads/regression.h"
#include "workloads/report.h"
#include "workloads/scenario.h"

namespace kvlab::app {
namespace {

struct SimFlags {
  std::string scenario = "mixed";
  std::string policy;               // empty: the registry's default policy.
  std::vector<std::string> params;  // --param policy.name=value
  int nodes = 0;
  uint64_t seed = 1;
  std::string seeds;  // A..B: a sweep.
  std::string shard = "0/1";
  std::string faults = "none";
  std::string json_path;
  std::string trace_path;
  std::string history_path;
  std::string benchmark_json_path;  // Google-benchmark-compatible JSON of every run.
  std::string timeline_csv_path;    // the timeline of a single run as CSV.
  std::string html_on_fail_dir;     // the counterexample viewer of every failing seed.
  std::string plot_dir;             // --plot: gnuplot pictures of the runs.
  std::string costs_path;           // --costs: a cost profile (kvlab calibrate) for the model.
  bool shard_given = false;         // --shard was on the command line.
};

// Writes `text` to `path`; InvalidArgument naming the path on failure.
absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

int UsageError(const std::string& command, const absl::Status& status) {
  std::fprintf(stderr, "kvlab %s: %s\n", command.c_str(), std::string(status.message()).c_str());
  return 2;
}

// --policy NAME[:param=value...] plus --param flags.
absl::StatusOr<core::PolicyChoice> ChoosePolicy(const std::string& policy, const std::vector<std::string>& params) {
  return core::ParsePolicyChoice(policy.empty() ? std::string(core::DefaultPolicy().name) : std::string_view(policy),
                                 params);
}

// As ChoosePolicy, with the scenario's [policy] parameters for this policy first: flags win.
absl::StatusOr<core::PolicyChoice> ChoosePolicy(const std::string& policy, const std::vector<std::string>& params,
                                                const workloads::Scenario& scenario) {
  absl::StatusOr<core::PolicyChoice> chosen = ChoosePolicy(policy, params);
  if (!chosen.ok() || scenario.policy_params.empty()) return chosen;
  const std::string prefix = absl::StrCat(std::string(chosen->info->name), ".");
  std::vector<std::string> merged;
  for (const std::string& p : scenario.policy_params) {
    if (p.rfind(prefix, 0) == 0) merged.push_back(p);
  }
  merged.insert(merged.end(), params.begin(), params.end());
  return ChoosePolicy(policy, merged);
}

// Appends one compact JSON object per line: sweeps and shards merge by concatenation (kvlab
// merge). Besides the report: the run's verdict, its problems, the --faults mode and the replay line.
absl::Status AppendJsonLine(std::ofstream& out, const sim::SimRunOptions& options, const sim::SimRunOutcome& outcome) {
  nlohmann::json line = workloads::ToJson(outcome.report);
  line["verdict"] = outcome.ok() ? "ok" : "failed";
  line["problems"] = outcome.problems;
  line["fault_mode"] = std::string(sim::FaultModeName(options.faults));
  line["replay"] = sim::ReplayCommand(options);
  out << line.dump() << "\n";
  if (!out) return absl::InternalError("writing the --json file failed");
  return absl::OkStatus();
}

void PrintRun(const sim::SimRunOptions& options, const sim::SimRunOutcome& outcome) {
  const workloads::RunReport& r = outcome.report;
  std::fputs(workloads::FormatReport(r).c_str(), stdout);
  const double virtual_s = r.duration_s;
  const double wall_s = r.wall_s.value_or(0);
  std::printf("virtual_duration: %.3f s  wall_duration: %.3f s  events: %llu  events_per_wall_s: %.0f\n", virtual_s,
              wall_s, static_cast<unsigned long long>(r.events.value_or(0)),
              wall_s > 0 ? static_cast<double>(r.events.value_or(0)) / wall_s : 0.0);
  for (const std::string& n : outcome.notes) std::printf("NOTE: %s\n", n.c_str());
  for (const std::string& p : outcome.problems) std::printf("PROBLEM: %s\n", p.c_str());
  if (!outcome.check_details.empty()) std::fputs(outcome.check_details.c_str(), stdout);
  std::printf("seed: %llu\n", static_cast<unsigned long long>(options.seed));
  std::printf("trace_hash: %s\n", sim::Hex64(r.trace_hash.value_or(0)).c_str());
  std::printf("replay: %s\n", sim::ReplayCommand(options).c_str());
}

// What a `kvlab sim` command line asks for, parsed and checked before any run.
struct SimPlan {
  workloads::Scenario scenario;
  core::PolicyChoice policy;
  sim::FaultMode faults = sim::FaultMode::kNone;
  std::vector<uint64_t> seeds;
  bool sweep = false;                           // --seeds: one line per run instead of the full report.
  sim::ModelCosts costs = sim::kLoopbackCosts;  // --costs.
};

// --costs FILE: the profile's costs replace the scenarios' [sim] ones they measure; the costs only
// a profile sets go to *costs, for every run's options. No file: the built-in profile.
absl::Status ApplyCostsFile(const std::string& path, std::vector<workloads::Scenario*> scenarios,
                            sim::ModelCosts* costs) {
  *costs = sim::kLoopbackCosts;
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<sim::CostProfile> profile = sim::LoadCostProfile(path);
  if (!profile.ok()) return profile.status();
  for (workloads::Scenario* s : scenarios) sim::ApplyCostProfile(*profile, s->sim);
  *costs = sim::ModelCostsOf(*profile);
  return absl::OkStatus();
}

absl::StatusOr<SimPlan> PlanSim(const SimFlags& f) {
  if (f.shard_given && f.seeds.empty()) {
    return absl::InvalidArgumentError("--shard I/N splits a --seeds A..B sweep: give --seeds too");
  }
  SimPlan plan;
  auto scenario = FindScenarioArg("--scenario", f.scenario);
  if (!scenario.ok()) return scenario.status();
  plan.scenario = *std::move(scenario);
  if (absl::Status s = ApplyCostsFile(f.costs_path, {&plan.scenario}, &plan.costs); !s.ok()) return s;
  auto policy = ChoosePolicy(f.policy, f.params, plan.scenario);
  if (!policy.ok()) return policy.status();
  plan.policy = *std::move(policy);
  auto mode = sim::ParseFaultMode(f.faults);
  if (!mode.ok()) return mode.status();
  plan.faults = *mode;
  auto shard = sim::ParseShard(f.shard);
  if (!shard.ok()) return shard.status();
  sim::SeedRange range{f.seed, f.seed};
  if (!f.seeds.empty()) {
    auto parsed = sim::ParseSeedRange(f.seeds);
    if (!parsed.ok()) return parsed.status();
    range = *parsed;
  }
  plan.seeds = sim::SeedsOfShard(range, *shard);
  plan.sweep = !f.seeds.empty();
  if (plan.sweep && (!f.trace_path.empty() || !f.history_path.empty() || !f.timeline_csv_path.empty())) {
    return absl::InvalidArgumentError("--trace, --history and --timeline-csv take one --seed, not a --seeds sweep");
  }
  return plan;
}

sim::SimRunOptions RunOptions(const SimFlags& f, const SimPlan& plan, uint64_t seed) {
  sim::SimRunOptions options;
  options.scenario = plan.scenario;
  options.scenario_arg = f.scenario;
  options.policy = plan.policy;
  options.nodes = f.nodes;
  options.seed = seed;
  options.faults = plan.faults;
  options.trace_path = f.trace_path;
  options.progress = !plan.sweep;
  options.costs = plan.costs;
  options.costs_path = f.costs_path;
  return options;
}

// The files a run writes besides --benchmark-json: its --json line, --history, --timeline-csv.
absl::Status WriteRunFiles(const SimFlags& f, const sim::SimRunOptions& options, const sim::SimRunOutcome& outcome,
                           std::ofstream& json) {
  if (json.is_open()) {
    if (absl::Status s = AppendJsonLine(json, options, outcome); !s.ok()) return s;
  }
  if (!f.history_path.empty()) {
    if (absl::Status s = workloads::WriteHistoryFile(outcome.history, f.history_path); !s.ok()) return s;
  }
  if (!f.timeline_csv_path.empty()) {
    return WriteTextFile(f.timeline_csv_path, workloads::TimelineCsv(outcome.report));
  }
  return absl::OkStatus();
}

// A sweep's line for one seed, with the replay command and the problems of a failed run.
// --html-on-fail: the counterexample viewer of a failed run, DIR/SCENARIO-POLICY-seedN.html.
absl::Status WriteFailureHtml(const std::string& dir, const sim::SimRunOptions& options,
                              const sim::SimRunOutcome& outcome) {
  if (absl::Status s = MakeOutputDir("--html-on-fail", dir); !s.ok()) return s;
  const workloads::RunReport& r = outcome.report;
  const workloads::CheckResult check = r.check && r.check->model == "eventual"
                                           ? workloads::CheckEventual(outcome.history)
                                           : workloads::CheckLinearizable(outcome.history);
  const auto start = r.metrics.find("measured_start_s");
  const double start_s = start == r.metrics.end() ? 0 : start->second;
  std::vector<workloads::FaultMark> faults;
  for (const workloads::FaultEvent& f : r.faults) {
    faults.push_back({.at = static_cast<core::Nanos>((start_s + f.t_s) * 1e9), .kind = f.kind, .node = f.node});
  }
  const std::string path = absl::StrCat(dir, "/", r.scenario, "-", r.policy, "-seed", options.seed, ".html");
  const std::string title = absl::StrCat(sim::ReplayCommand(options), outcome.problems.empty() ? "" : "  PROBLEM: ",
                                         outcome.problems.empty() ? "" : outcome.problems.front());
  if (absl::Status s = WriteTextFile(path, workloads::CounterexampleHtml(check, faults, title)); !s.ok()) return s;
  std::printf("counterexample: %s\n", path.c_str());
  return absl::OkStatus();
}

void PrintSweepLine(const sim::SimRunOptions& options, const sim::SimRunOutcome& outcome) {
  const auto& r = outcome.report;
  std::printf("seed %llu  ops %llu  errors %llu  %s  trace_hash %s%s\n", static_cast<unsigned long long>(options.seed),
              static_cast<unsigned long long>(r.ops), static_cast<unsigned long long>(r.errors),
              outcome.ok() ? "ok" : "FAILED", sim::Hex64(r.trace_hash.value_or(0)).c_str(),
              outcome.ok() ? "" : absl::StrCat("  replay: ", sim::ReplayCommand(options)).c_str());
  if (!outcome.ok()) {
    for (const std::string& p : outcome.problems) std::printf("  PROBLEM: %s\n", p.c_str());
    std::fputs(outcome.check_details.c_str(), stdout);
  }
}

int RunSim(const SimFlags& f) {
  absl::StatusOr<SimPlan> plan = PlanSim(f);
  if (!plan.ok()) return UsageError("sim", plan.status());
  std::ofstream json;
  if (!f.json_path.empty()) {
    json.open(f.json_path);
    if (!json)
      return UsageError("sim",
                        absl::InvalidArgumentError(absl::StrCat("cannot write --json file '", f.json_path, "'")));
  }
  int failed = 0;
  std::vector<workloads::RunReport> reports;
  for (uint64_t seed : plan->seeds) {
    const sim::SimRunOptions options = RunOptions(f, *plan, seed);
    auto outcome = sim::RunSimulation(options);
    if (!outcome.ok()) return UsageError("sim", outcome.status());
    if (absl::Status s = WriteRunFiles(f, options, *outcome, json); !s.ok()) return UsageError("sim", s);
    if (!f.benchmark_json_path.empty() || !f.plot_dir.empty()) reports.push_back(outcome->report);
    if (plan->sweep) {
      PrintSweepLine(options, *outcome);
    } else {
      PrintRun(options, *outcome);
    }
    if (!outcome->ok()) ++failed;
    if (!outcome->ok() && !f.html_on_fail_dir.empty()) {
      if (absl::Status s = WriteFailureHtml(f.html_on_fail_dir, options, *outcome); !s.ok())
        return UsageError("sim", s);
    }
  }
  if (!f.benchmark_json_path.empty()) {
    const std::string text = workloads::ToBenchmarkJson(reports).dump(2) + "\n";
    if (absl::Status s = WriteTextFile(f.benchmark_json_path, text); !s.ok()) return UsageError("sim", s);
  }
  if (!f.plot_dir.empty()) {
    std::vector<nlohmann::json> runs;
    for (const workloads::RunReport& r : reports) runs.push_back(workloads::ToJson(r));
    if (absl::Status s = WritePlots(runs, f.plot_dir); !s.ok()) return UsageError("sim", s);
  }
  if (plan->sweep) std::printf("%zu passed, %d failed\n", plan->seeds.size() - failed, failed);
  return failed == 0 ? 0 : 1;
}

void AddSim(CLI::App& app) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* cmd = app.add_subcommand("sim", "Run a scenario in the deterministic simulator");
  cmd->add_option("--scenario", flags->scenario,
                  absl::StrCat("Built-in scenario (", ScenarioNames(), "; see `kvlab scenarios`) or a TOML file"))
      ->capture_default_str();
  cmd->add_option(
      "--policy", flags->policy,
      absl::StrCat("Replication policy, optionally with parameters (NAME[:param=value...]): ", core::PolicyNameList(),
                   " (default ", std::string(core::DefaultPolicy().name), "; `kvlab policies` lists them)"));
  cmd->add_option("--param", flags->params, "A policy parameter, e.g. raft.election_timeout_ms=50..100 (repeatable)");
  cmd->add_option("--nodes", flags->nodes, "Cluster size (default: the policy's; `kvlab policies` lists sizes)");
  cmd->add_option("--seed", flags->seed, "Run seed")->capture_default_str();
  cmd->add_option("--seeds", flags->seeds, "Sweep seeds A..B (inclusive)");
  CLI::Option* shard = cmd->add_option("--shard", flags->shard, "Run only shard I of N of the --seeds sweep (I/N)")
                           ->capture_default_str();
  cmd->add_option("--faults", flags->faults, "Random faults: none|crash|partition|disk|clock|network|random")
      ->capture_default_str();
  cmd->add_option("--json", flags->json_path, "Write the result (one JSON object per line) to FILE");
  cmd->add_option("--trace", flags->trace_path, "Write the event log to FILE");
  cmd->add_option("--history", flags->history_path, "Write the operation history (JSON lines) to FILE");
  cmd->add_option("--benchmark-json", flags->benchmark_json_path,
                  "Write Google-benchmark-compatible JSON (for CI regression tools) to FILE");
  cmd->add_option("--timeline-csv", flags->timeline_csv_path, "Write the run's timeline (per 100 ms) as CSV to FILE");
  cmd->add_option("--plot", flags->plot_dir, "Write gnuplot pictures of the run(s) into this folder");
  cmd->add_option("--html-on-fail", flags->html_on_fail_dir,
                  "For every failing seed, write the counterexample viewer (HTML) into this folder");
  cmd->add_option("--costs", flags->costs_path,
                  "Cost profile (TOML, from `kvlab calibrate`): its latencies, CPU and fsync costs replace the "
                  "scenario's [sim] ones (default: profiles/loopback-2core.toml, compiled in)");
  cmd->footer(FaultModesHelp());
  cmd->callback([flags, shard] {
    flags->shard_given = shard->count() > 0;
    SetExitCode(RunSim(*flags));
  });
}

// --- kvlab shrink --------------------------------------------------------------------------------

struct ShrinkFlags {
  SimFlags sim;
  int max_runs = sim::kDefaultShrinkRuns;
  std::string out = "shrunk.toml";
};

void PrintShrinkStats(const char* label, const sim::ShrinkStats& s) {
  std::printf("%-8s faults applied %d (scheduled %d, random %s)  ops %llu  clients %d  keys %llu\n", label, s.faults,
              s.scheduled_faults, s.random_faults.c_str(), static_cast<unsigned long long>(s.ops), s.clients,
              static_cast<unsigned long long>(s.keys));
}

int RunShrink(const ShrinkFlags& f) {
  absl::StatusOr<SimPlan> plan = PlanSim(f.sim);
  if (!plan.ok()) return UsageError("shrink", plan.status());
  if (f.max_runs < 1 || f.max_runs > sim::kMaxShrinkRuns) {
    return UsageError("shrink", absl::InvalidArgumentError(absl::StrCat("--max-runs: want 1..", sim::kMaxShrinkRuns)));
  }
  sim::SimRunOptions options = RunOptions(f.sim, *plan, f.sim.seed);
  auto result = sim::Shrink(options, f.max_runs,
                            [](const std::string& line) { std::fprintf(stderr, "shrink: %s\n", line.c_str()); });
  if (!result.ok() && absl::IsFailedPrecondition(result.status())) {
    std::printf("%s\nreplay: %s\n", std::string(result.status().message()).c_str(),
                sim::ReplayCommand(options).c_str());
    return 0;
  }
  if (!result.ok()) return UsageError("shrink", result.status());
  sim::SimRunOptions smallest = result->smallest;
  smallest.scenario.name = absl::StrCat(smallest.scenario.name, "_shrunk");
  smallest.scenario_arg = f.out;
  if (absl::Status s = WriteTextFile(f.out, workloads::ScenarioToToml(smallest.scenario)); !s.ok()) {
    return UsageError("shrink", s);
  }
  std::printf("failure: %s\n", result->signature.c_str());
  PrintShrinkStats("before:", result->before);
  PrintShrinkStats("after:", result->after);
  std::printf("removed (%d candidate runs):\n", result->runs);
  for (const std::string& r : result->removed) std::printf("  - %s\n", r.c_str());
  for (const std::string& p : result->outcome.problems) std::printf("PROBLEM: %s\n", p.c_str());
  std::printf("original: %s\n", sim::ReplayCommand(options).c_str());
  std::printf("replay: %s\n", sim::ReplayCommand(smallest).c_str());
  return 1;
}

void AddShrink(CLI::App& app) {
  auto flags = std::make_shared<ShrinkFlags>();
  SimFlags& sim_flags = flags->sim;
  CLI::App* cmd = app.add_subcommand(
      "shrink", "Shrink a failing simulated run: fewer faults, operations, clients and keys, same failure");
  cmd->add_option("--scenario", sim_flags.scenario, "Built-in scenario or TOML file")->capture_default_str();
  cmd->add_option("--policy", sim_flags.policy, "Replication policy (NAME[:param=value...])");
  cmd->add_option("--param", sim_flags.params, "A policy parameter (repeatable)");
  cmd->add_option("--nodes", sim_flags.nodes, "Cluster size (default: the policy's)");
  cmd->add_option("--seed", sim_flags.seed, "The failing seed")->required();
  cmd->add_option("--faults", sim_flags.faults, "Random faults of the failing run")->capture_default_str();
  cmd->add_option("--costs", sim_flags.costs_path,
                  "Cost profile of the failing run (`kvlab calibrate`; default: the built-in one): the shrunk "
                  "scenario keeps failing only under the model it failed in");
  cmd->add_option("--max-runs", flags->max_runs, "Budget: at most this many candidate runs (deterministic)")
      ->capture_default_str();
  cmd->add_option("--out", flags->out, "Write the smallest failing scenario as TOML to FILE")->capture_default_str();
  cmd->footer(FaultModesHelp());
  cmd->callback([flags] { SetExitCode(RunShrink(*flags)); });
}

// --- kvlab compare -------------------------------------------------------------------------------

struct CompareFlags {
  std::string policies;  // empty: every policy built so far.
  std::string scenarios = "all";
  std::string seeds = "1";
  std::string faults = "none";
  std::string out_dir;
  std::string baseline_path;         // --baseline: the regression gate's reference runs.
  std::string tolerance = "0%";      // --tolerance: how much worse a figure may be.
  std::string benchmark_json_path;   // Google-benchmark-compatible JSON of every run.
  std::string plot_dir;              // --plot: gnuplot pictures of the results.
  std::string world = "sim";         // --world real: app/compare_real.h.
  double scale = kDefaultRealScale;  // --scale: the real world's scenario size.
  std::string costs_path;            // --costs: a cost profile (kvlab calibrate) for the model.
};

// --policies: every registered policy when empty.
absl::StatusOr<std::vector<core::PolicyChoice>> ParsePolicies(const std::string& text) {
  std::vector<std::string> names;
  if (text.empty()) {
    for (const core::PolicyInfo* p : core::Policies()) names.emplace_back(p->name);
  } else {
    names = absl::StrSplit(text, ',');
  }
  std::vector<core::PolicyChoice> policies;
  for (const std::string& name : names) {
    auto choice = core::ParsePolicyChoice(name);
    if (!choice.ok()) return choice.status();
    policies.push_back(*std::move(choice));
  }
  return policies;
}

// --scenarios: "all" is DESIGN.md's six (the built-ins without YCSB), or names and TOML files.
absl::StatusOr<std::vector<workloads::Scenario>> ParseScenarios(const std::string& text) {
  std::vector<workloads::Scenario> scenarios;
  if (text == "all") {
    for (const auto& s : workloads::BuiltinScenarios()) {
      if (s.name.rfind("ycsb", 0) != 0) scenarios.push_back(s);
    }
    return scenarios;
  }
  for (const std::string& name : std::vector<std::string>(absl::StrSplit(text, ','))) {
    auto s = FindScenarioArg("--scenarios", name);
    if (!s.ok()) return s.status();
    scenarios.push_back(*std::move(s));
  }
  return scenarios;
}

absl::StatusOr<sim::CompareOptions> PlanCompare(const CompareFlags& f) {
  sim::CompareOptions options;
  auto policies = ParsePolicies(f.policies);
  if (!policies.ok()) return policies.status();
  options.policies = *std::move(policies);
  auto scenarios = ParseScenarios(f.scenarios);
  if (!scenarios.ok()) return scenarios.status();
  options.scenarios = *std::move(scenarios);
  std::vector<workloads::Scenario*> with_costs;
  for (workloads::Scenario& s : options.scenarios) with_costs.push_back(&s);
  if (absl::Status s = ApplyCostsFile(f.costs_path, with_costs, &options.costs); !s.ok()) return s;
  options.costs_path = f.costs_path;
  auto range = sim::ParseSeedRange(f.seeds);
  if (!range.ok()) return range.status();
  options.seeds = *range;
  auto mode = sim::ParseFaultMode(f.faults);
  if (!mode.ok()) return mode.status();
  options.faults = *mode;
  return options;
}

// The regression gate of `compare --baseline`: 0 when no figure got worse, 1 otherwise.
int GateAgainstBaseline(const CompareFlags& f, const std::vector<nlohmann::json>& baseline,
                        const sim::CompareResult& result) {
  std::vector<nlohmann::json> current;
  for (const workloads::RunReport& r : result.reports) current.push_back(workloads::ToJson(r));
  auto tolerance = workloads::ParseTolerance(f.tolerance);
  const workloads::GateReport gate = workloads::CompareToBaseline(baseline, current, *tolerance);
  std::printf("\nregression gate against %s (tolerance %s):\n%s", f.baseline_path.c_str(), f.tolerance.c_str(),
              workloads::FormatGateReport(gate).c_str());
  return gate.ok() ? 0 : 1;
}

// --benchmark-json and --plot, in either world.
absl::Status WriteCompareExtras(const CompareFlags& f, const sim::CompareResult& result) {
  if (!f.benchmark_json_path.empty()) {
    const std::string text = workloads::ToBenchmarkJson(result.reports).dump(2) + "\n";
    if (absl::Status s = WriteTextFile(f.benchmark_json_path, text); !s.ok()) return s;
  }
  if (f.plot_dir.empty()) return absl::OkStatus();
  std::vector<nlohmann::json> runs;
  for (const workloads::RunReport& r : result.reports) runs.push_back(workloads::ToJson(r));
  return WritePlots(runs, f.plot_dir);
}

// `kvlab compare --world real` (app/compare_real.h): exit 0 when every run passed, 1 otherwise.
int RunCompareReal(const CompareFlags& f, const sim::CompareOptions& plan) {
  if (!f.baseline_path.empty()) {
    return UsageError("compare", absl::InvalidArgumentError(
                                     "--baseline gates simulated figures run for run; real runs vary: use kvlab gate"));
  }
  if (!f.costs_path.empty()) {
    return UsageError("compare", absl::InvalidArgumentError("--costs sets the simulator's cost model; real runs pay "
                                                            "the machine's costs (drop --costs or --world real)"));
  }
  if (!f.out_dir.empty()) {
    if (absl::Status s = MakeOutputDir("--out", f.out_dir); !s.ok()) return UsageError("compare", s);
  }
  const RealCompareOptions options{.policies = plan.policies,
                                   .scenarios = plan.scenarios,
                                   .seeds = plan.seeds,
                                   .scale = f.scale,
                                   .random_faults = plan.faults != sim::FaultMode::kNone};
  absl::StatusOr<sim::CompareResult> result = RunRealCompare(options, [](const real::BenchOutcome& outcome) {
    std::fputs(FormatRealRun(outcome).c_str(), stdout);
    std::fflush(stdout);
  });
  if (!result.ok()) return UsageError("compare", result.status());
  std::printf("\n%s", sim::SummaryTable(result->rows, sim::CompareWorld::kReal).c_str());
  if (!f.out_dir.empty()) {
    const std::string heading = absl::StrCat(
        "# Comparison on real processes (`kvlab compare --world real --policies ",
        f.policies.empty() ? "(all)" : f.policies, " --scenarios ", f.scenarios, " --seeds ", f.seeds, " --scale ",
        f.scale,
        "`)\n\nEach policy ran as a `kvlab cluster --proxy` on loopback (3 nodes, single 1; fsync; peer traffic "
        "through "
        "the fault proxy with no link fault), each scenario shrunk by the scale (ops, durations and fault times) and "
        "driven by `kvlab bench --cluster` (the nemesis applies its fault schedule: SIGKILL and restart; every "
        "acknowledged key read back; judged by the policy's promise). Throughput and latency are wall-clock figures "
        "of this machine, shared with other work: read them as an indication, not a benchmark. Message counts are "
        "the simulator's only (\"-\").\n\n");
    if (absl::Status s = sim::WriteCompareFiles(f.out_dir, heading, *result, sim::CompareWorld::kReal); !s.ok())
      return UsageError("compare", s);
    std::printf("wrote %s/compare.json and %s/compare.md\n", f.out_dir.c_str(), f.out_dir.c_str());
  }
  if (absl::Status s = WriteCompareExtras(f, *result); !s.ok()) return UsageError("compare", s);
  return result->failed == 0 ? 0 : 1;
}

int RunCompare(const CompareFlags& f) {
  absl::StatusOr<sim::CompareOptions> options = PlanCompare(f);
  if (!options.ok()) return UsageError("compare", options.status());
  if (f.world == "real") return RunCompareReal(f, *options);
  std::vector<nlohmann::json> baseline;
  if (!f.baseline_path.empty()) {  // read and checked before any run, so a typo fails fast.
    auto loaded = workloads::LoadRunReports(f.baseline_path);
    if (!loaded.ok()) return UsageError("compare", loaded.status());
    baseline = *std::move(loaded);
  }
  if (auto tolerance = workloads::ParseTolerance(f.tolerance); !tolerance.ok()) {
    return UsageError("compare", tolerance.status());
  }
  if (!f.out_dir.empty()) {
    if (absl::Status s = MakeOutputDir("--out", f.out_dir); !s.ok()) return UsageError("compare", s);
  }
  const int label_width = sim::LabelWidth(options->policies);
  absl::StatusOr<sim::CompareResult> result =
      sim::RunCompare(*options, [label_width](const sim::SimRunOptions& run, const sim::SimRunOutcome& outcome) {
        std::fputs(sim::FormatCompareRun(run, outcome, label_width).c_str(), stdout);
      });
  if (!result.ok()) return UsageError("compare", result.status());
  std::printf("\n%s", sim::SummaryTable(result->rows).c_str());
  if (!f.out_dir.empty()) {
    const std::string command =
        absl::StrCat("kvlab compare --policies ", f.policies.empty() ? "(all)" : f.policies, " --scenarios ",
                     f.scenarios, " --seeds ", f.seeds, " --faults ", f.faults);
    if (absl::Status s = sim::WriteCompareResults(f.out_dir, command, *result); !s.ok())
      return UsageError("compare", s);
    std::printf("wrote %s/compare.json and %s/compare.md\n", f.out_dir.c_str(), f.out_dir.c_str());
  }
  if (absl::Status s = WriteCompareExtras(f, *result); !s.ok()) return UsageError("compare", s);
  const int gate = f.baseline_path.empty() ? 0 : GateAgainstBaseline(f, baseline, *result);
  return result->failed == 0 && gate == 0 ? 0 : 1;
}

void AddCompare(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "Run scenarios for several policies on the same seeds, side by side");
  cmd->add_option("--policies", flags->policies,
                  "Comma-separated policies, each NAME[:param=value...], e.g. raft,raft:election_timeout_ms=50..100 "
                  "(default: every policy)");
  cmd->add_option("--scenarios", flags->scenarios,
                  absl::StrCat("all (DESIGN.md's six) or comma-separated names (", ScenarioNames(), ") or TOML files"))
      ->capture_default_str();
  cmd->add_option("--seeds", flags->seeds, "Seeds A..B")->capture_default_str();
  cmd->add_option("--faults", flags->faults, "Random faults for every run")->capture_default_str();
  cmd->add_option("--out", flags->out_dir, "Write compare.json and compare.md into this folder (created if needed)");
  cmd->add_option("--baseline", flags->baseline_path,
                  "Regression gate: compare every run with the same run (scenario, policy, seed) in FILE "
                  "(e.g. results/sim/compare.json) and exit 1 if a figure got worse");
  cmd->add_option("--tolerance", flags->tolerance,
                  "How much worse than the baseline a figure may be, in percent (virtual figures are "
                  "deterministic, so the default is 0)")
      ->capture_default_str();
  cmd->add_option("--benchmark-json", flags->benchmark_json_path,
                  "Write Google-benchmark-compatible JSON (github-action-benchmark, Bencher) to FILE");
  cmd->add_option("--plot", flags->plot_dir, "Write gnuplot pictures of the results into this folder");
  cmd->add_option("--world", flags->world,
                  "sim, or real: each policy as a `kvlab cluster --proxy` on loopback, each scenario through "
                  "`kvlab bench --cluster` (its faults applied by the nemesis; random faults refused)")
      ->check(CLI::IsMember({"sim", "real"}))
      ->capture_default_str();
  cmd->add_option("--scale", flags->scale,
                  "--world real: shrink every scenario's ops, duration and fault times by this factor (0 < s <= 1)")
      ->capture_default_str();
  cmd->add_option("--costs", flags->costs_path,
                  "Cost profile (TOML, from `kvlab calibrate`) for every run (default: the compiled-in one)");
  cmd->footer(FaultModesHelp());
  cmd->callback([flags] { SetExitCode(RunCompare(*flags)); });
}

void AddTraceDiff(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("trace-diff", "Name the first event where two --trace logs diverge");
  cmd->add_option("traces", *paths, "Two trace files")->required()->expected(2);
  cmd->callback([paths] {
    for (const std::string& path : *paths) {
      if (absl::Status s = CheckInputFile("trace", path); !s.ok()) return SetExitCode(UsageError("trace-diff", s));
    }
    auto diff = sim::FirstDivergence((*paths)[0], (*paths)[1]);
    if (!diff.ok()) {
      SetExitCode(UsageError("trace-diff", diff.status()));
      return;
    }
    if (diff->empty()) {
      std::printf("traces are identical\n");
      SetExitCode(0);
    } else {
      std::printf("%s\n", diff->c_str());
      SetExitCode(1);
    }
  });
}

}  // namespace

void AddSimCommand(CLI::App& app) {
  AddSim(app);
  AddCompare(app);
  AddShrink(app);
  AddTraceDiff(app);
}

}  // namespace kvlab::app
