// kvlab bench: a scenario against real RESP servers (kvlab nodes, redis-server, ...). CLI wiring
// only; the logic lives in real/bench_run.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "app/inputs.h"
#include "app/plotting.h"
#include "app/real_verdict.h"
#include "real/bench_run.h"
#include "real/real_runtime.h"
#include "workloads/history.h"
#include "workloads/report.h"
#include "workloads/scenario.h"

namespace kvlab::app {
namespace {

struct BenchFlags {
  std::string targets;
  std::string scenario = "mixed";
  std::string json_path;
  std::string history_path;
  std::string plot_dir;  // --plot: gnuplot pictures of the run.
  int64_t ops = -1;      // -1: the scenario's own.
  int clients = 0;       // 0: the scenario's own.
  std::string duration;  // empty: the scenario's own.
  uint64_t seed = 1;
  std::string label = "external";
  std::string model = "linearizable";
  bool flush = false;
  std::string password;
  std::string key_prefix;
  double rate = 0;                // 0: the scenario's own arrival.
  std::string cluster_dir;        // --cluster: a running kvlab cluster's data dir (the nemesis).
  std::string timeline_csv_path;  // the run's timeline as CSV (the simulator's format).
};

int BenchError(const absl::Status& status) {
  std::fprintf(stderr, "kvlab bench: %s\n", std::string(status.message()).c_str());
  return 2;
}

// The scenario with the command line's overrides applied, validated.
absl::StatusOr<workloads::Scenario> ScenarioOf(const BenchFlags& f) {
  absl::StatusOr<workloads::Scenario> scenario = FindScenarioArg("--scenario", f.scenario);
  if (!scenario.ok()) return scenario.status();
  if (f.ops >= 0) scenario->ops = static_cast<uint64_t>(f.ops);
  if (f.clients > 0) {
    scenario->clients = f.clients;
    if (scenario->in_flight > f.clients) scenario->in_flight = f.clients;
  }
  if (f.rate > 0) {
    scenario->arrival = workloads::Arrival::kOpen;
    scenario->rate_ops_s = f.rate;
  }
  if (!f.duration.empty()) {
    absl::StatusOr<core::Nanos> d = workloads::ParseDuration(f.duration);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--duration: ", std::string(d.status().message())));
    scenario->duration = *d;
  }
  if (absl::Status s = scenario->Validate(); !s.ok()) return s;
  return scenario;
}

// The views seen during the run: [{"t_s": .., "epoch": .., "view": "4:2*,3"}, ...].
nlohmann::json ViewsJson(const real::BenchOutcome& outcome) {
  nlohmann::json views = nlohmann::json::array();
  for (const real::ViewChange& v : outcome.views) {
    views.push_back(
        {{"t_s", static_cast<double>(v.at - outcome.measured_start) / 1e9}, {"epoch", v.epoch}, {"view", v.view}});
  }
  return views;
}

int RunBenchCommand(const BenchFlags& f) {
  if (f.targets.empty() && f.cluster_dir.empty()) {
    return BenchError(absl::InvalidArgumentError("--target or --cluster is required"));
  }
  absl::StatusOr<std::vector<real::Target>> targets =
      f.targets.empty() ? std::vector<real::Target>{} : real::ParseTargets(f.targets);
  if (!targets.ok()) return BenchError(targets.status());
  absl::StatusOr<workloads::Scenario> scenario = ScenarioOf(f);
  if (!scenario.ok()) return BenchError(scenario.status());
  std::ofstream json;
  if (!f.json_path.empty()) {
    json.open(f.json_path);
    if (!json)
      return BenchError(absl::InvalidArgumentError(absl::StrCat("cannot write --json file '", f.json_path, "'")));
  }
  real::BenchOptions options;
  options.scenario = *scenario;
  options.targets = *targets;
  options.seed = f.seed;
  options.label = f.label;
  options.model = f.model;
  options.flush = f.flush;
  options.password = f.password;
  options.key_prefix = f.key_prefix;
  options.progress = true;
  options.cluster_dir = f.cluster_dir;
  absl::StatusOr<real::BenchOutcome> outcome = real::RunBench(options);
  if (!outcome.ok()) return BenchError(outcome.status());
  if (!f.cluster_dir.empty()) JudgeByPromise(*outcome);  // the cluster's policy is known.

  std::fputs(workloads::FormatReport(outcome->report).c_str(), stdout);
  for (const real::ViewChange& v : outcome->views) {
    std::printf("view %s seen at %.3f s\n", v.view.c_str(), static_cast<double>(v.at - outcome->measured_start) / 1e9);
  }
  for (const std::string& n : outcome->notes) std::printf("note: %s\n", n.c_str());
  for (const std::string& p : outcome->problems) std::printf("PROBLEM: %s\n", p.c_str());
  if (!outcome->check_details.empty()) std::fputs(outcome->check_details.c_str(), stdout);
  if (json.is_open()) {
    nlohmann::json j = workloads::ToJson(outcome->report);
    j["targets"] = f.targets;
    j["notes"] = outcome->notes;
    j["problems"] = outcome->problems;
    if (!outcome->views.empty()) j["view_changes"] = ViewsJson(*outcome);
    json << j.dump() << "\n";
    if (!json) return BenchError(absl::InternalError("writing the --json file failed"));
  }
  if (!f.history_path.empty()) {
    if (absl::Status s = workloads::WriteHistoryFile(outcome->history, f.history_path); !s.ok()) return BenchError(s);
  }
  if (!f.timeline_csv_path.empty()) {
    std::ofstream csv(f.timeline_csv_path);
    csv << workloads::TimelineCsv(outcome->report);
    if (!csv)
      return BenchError(absl::InvalidArgumentError("cannot write --timeline-csv file '" + f.timeline_csv_path + "'"));
  }
  if (!f.plot_dir.empty()) {
    if (absl::Status s = WritePlots({workloads::ToJson(outcome->report)}, f.plot_dir); !s.ok()) return BenchError(s);
  }
  return outcome->ok() ? 0 : 1;
}

}  // namespace

void AddBenchCommand(CLI::App& app) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Run a scenario against real RESP servers (kvlab node, redis-server, ...)");
  cmd->add_option("--target", flags->targets,
                  "HOST:PORT[,HOST:PORT...] (HOST: an IPv4 address or a name, e.g. localhost); clients spread over "
                  "them and fail over (default with --cluster: the cluster's nodes)");
  cmd->add_option("--cluster", flags->cluster_dir,
                  "The data dir of a running `kvlab cluster`: apply the scenario's fault schedule to its nodes "
                  "(kill, restart, pause; link faults with its --proxy) through DIR/control.sock, record pb's and "
                  "chain's views, and judge the run by the policy's promise (pb async: lost acknowledged writes "
                  "are a figure; quorum: eventual)");
  cmd->add_option("--timeline-csv", flags->timeline_csv_path, "Write the run's timeline (per 100 ms) as CSV to FILE");
  cmd->add_option("--scenario", flags->scenario,
                  absl::StrCat("Built-in scenario (", ScenarioNames(), "; see `kvlab scenarios`) or a TOML file"))
      ->capture_default_str();
  cmd->add_option("--json", flags->json_path, "Write the result (one JSON object) to FILE");
  cmd->add_option("--history", flags->history_path, "Write the operation history (JSON lines) to FILE");
  cmd->add_option("--plot", flags->plot_dir, "Write gnuplot pictures of the run into this folder");
  cmd->add_option("--ops", flags->ops, "Override the scenario's total operations (0: run for its duration)")
      ->check(CLI::Range(int64_t{0}, static_cast<int64_t>(workloads::kMaxOps)));
  cmd->add_option("--clients", flags->clients, "Override the scenario's client count")
      ->check(CLI::Range(1, workloads::kMaxClients));
  cmd->add_option("--duration", flags->duration, "Override the scenario's duration (e.g. 5s, 500ms)");
  cmd->add_option("--seed", flags->seed, "Workload seed (keys, values, mix)")->capture_default_str();
  cmd->add_option("--label", flags->label, "What the targets are, recorded as the report's policy (e.g. redis)")
      ->capture_default_str();
  cmd->add_option("--model", flags->model, "Consistency check: linearizable|eventual")
      ->check(CLI::IsMember({"linearizable", "eventual"}))
      ->capture_default_str();
  cmd->add_flag("--flush", flags->flush, "FLUSHALL the first target before the run (so the check starts empty)");
  cmd->add_option("--password", flags->password, "AUTH with this password on every connection before the run");
  cmd->add_option("--key-prefix", flags->key_prefix,
                  "Prepend this to every key, so the run never overwrites other keys (e.g. a real Redis's); the "
                  "check assumes the run's keys start absent: use a prefix no earlier run used");
  cmd->add_option("--rate", flags->rate, "Open loop: start requests at this total rate (ops/s) whatever the replies")
      ->check(CLI::Range(0.001, 1e9));
  cmd->callback([flags] { SetExitCode(RunBenchCommand(*flags)); });
}

}  // namespace kvlab::app
