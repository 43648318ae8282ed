#include "real/bench_run.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/tcp.h"
#include "real/nemesis.h"
#include "real/resp_client.h"
#include "workloads/checker.h"
#include "workloads/driver.h"
#include "workloads/progress.h"
#include "workloads/readback.h"

namespace kvlab::real {
namespace {

using workloads::HistoryOp;

// The driver's preload writers (workloads/driver.cc kMaxPreloadFibers): only sizes the pool of
// pre-opened connections, so a mismatch costs a few lazy connects, never correctness.
constexpr uint64_t kPreloadWriters = 64;

// One command on target `index`, run to completion on the loop. The outcome's error on failure.
absl::StatusOr<workloads::ClientResult> RunOne(RealRuntime& rt, size_t index, core::Command cmd) {
  struct Call {
    workloads::ClientResult result;
    bool done = false;
  };
  auto call = std::make_shared<Call>();  // shared: the fiber must not outlive what it writes to.
  rt.Spawn([&rt, index, cmd = std::move(cmd), call]() mutable {
    RespClient client(rt, index);
    call->result = client.Execute(std::move(cmd));
    call->done = true;
  });
  // The call is bounded by the request timeout, connect included.
  const core::Nanos deadline = rt.Now() + rt.request_timeout() + core::Seconds(1);
  if (absl::Status s = rt.RunUntil([&] { return call->done; }, deadline); !s.ok()) return s;
  return call->result;
}

// Every target must answer a DBSIZE: an unreachable target is a configuration error (exit 2). An
// error reply to the command is an answer (abd and quorum serve GET, SET and DEL only), but for an
// authentication error (NOAUTH, WRONGPASS): the run could not do anything.
absl::Status ProbeTargets(RealRuntime& rt) {
  for (size_t i = 0; i < rt.targets().size(); ++i) {
    core::Command probe;
    probe.op = core::Op::kDbSize;
    absl::StatusOr<workloads::ClientResult> r = RunOne(rt, i, probe);
    const bool refused_command = r.ok() && r->error_kind == workloads::ErrorKind::kCommand &&
                                 !absl::StrContains(r->error, "NOAUTH") && !absl::StrContains(r->error, "WRONGPASS");
    if (!r.ok() || (r->outcome != workloads::Outcome::kOk && !refused_command)) {
      return absl::UnavailableError(absl::StrCat("target ", FormatTarget(rt.targets()[i]), " is unreachable: ",
                                                 r.ok() ? r->error : std::string(r.status().message())));
    }
  }
  return absl::OkStatus();
}

// Reads back every key in `keys` (workloads/readback.h), appending the reads to `history`. False
// if it did not finish in time.
bool RunReadBack(RealRuntime& rt, const std::vector<std::string>& keys, int workload_clients,
                 std::vector<HistoryOp>& history) {
  const core::Nanos deadline = rt.Now() + kBenchReadbackDeadline;
  bool verified = false;
  rt.Spawn([&] {
    verified = workloads::ReadBack(rt, keys, {.workload_clients = workload_clients, .deadline = deadline}, history);
  });
  const absl::Status s =
      rt.RunUntil([&] { return rt.AllFinished(); }, deadline + rt.request_timeout() + core::Seconds(1));
  return s.ok() && verified;
}

}  // namespace

absl::Status ResolveTargets(std::vector<Target>* targets) {
  for (Target& t : *targets) {
    in_addr address{};
    if (inet_pton(AF_INET, t.host.c_str(), &address) == 1) continue;
    addrinfo hints{};
    hints.ai_family = AF_INET;  // the workload client connects over IPv4.
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(t.host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--target '", FormatTarget(t), "': cannot resolve '", t.host,
                                                     "' to an IPv4 address (", gai_strerror(rc), ")"));
    }
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr, text, sizeof(text));
    freeaddrinfo(found);
    t.host = text;
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckOptions(const BenchOptions& options) {
  if (absl::Status valid = options.scenario.Validate(); !valid.ok()) return valid;
  if (options.targets.empty()) return absl::InvalidArgumentError("--target: at least one HOST:PORT is needed");
  if (options.model != "linearizable" && options.model != "eventual") {
    return absl::InvalidArgumentError(absl::StrCat("model '", options.model, "': linearizable or eventual"));
  }
  if (options.flush && !options.key_prefix.empty()) {
    return absl::InvalidArgumentError(
        "--flush empties the whole server, --key-prefix keeps the run off other keys: use one of them");
  }
  return absl::OkStatus();
}

// A runtime connected to the resolved targets, each of which answered; emptied with --flush; with
// every connection the run needs opened in advance.
absl::StatusOr<std::unique_ptr<RealRuntime>> ConnectTargets(const BenchOptions& options) {
  const workloads::Scenario& scenario = options.scenario;
  std::vector<Target> targets = options.targets;
  if (absl::Status s = ResolveTargets(&targets); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<RealRuntime>> rt_or =
      RealRuntime::Create(std::move(targets), scenario.request_timeout);
  if (!rt_or.ok()) return rt_or.status();
  RealRuntime& rt = **rt_or;
  rt.set_connection_options(ConnectionOptions{options.password, options.key_prefix});
  if (absl::Status s = ProbeTargets(rt); !s.ok()) return s;
  if (options.flush) {
    core::Command flush;
    flush.op = core::Op::kFlushAll;
    absl::StatusOr<workloads::ClientResult> r = RunOne(rt, 0, flush);
    if (!r.ok() || r->outcome != workloads::Outcome::kOk) {
      return absl::UnavailableError(absl::StrCat("FLUSHALL on ", FormatTarget(options.targets[0]),
                                                 " failed: ", r.ok() ? r->error : std::string(r.status().message())));
    }
  }
  // Every client gets a connection opened before the run (and each preload writer one more), so
  // the measured run does not time the servers' TCP accept queues.
  net::RaiseFileLimit();
  const int preload_writers = scenario.preload
                                  ? static_cast<int>(std::min<uint64_t>(
                                        {static_cast<uint64_t>(scenario.clients), scenario.keys, kPreloadWriters}))
                                  : 0;
  rt.Preconnect(scenario.clients + preload_writers, scenario.request_timeout);
  return rt_or;
}

// The cluster a nemesis drives: its control channel, whether it has the fault proxy, the plan.
struct ClusterRun {
  std::unique_ptr<ControlClient> control;
  bool proxy = false;
  int nodes = 0;
  std::string policy;
  std::vector<NemesisStep> steps;
};

// Runs the workload (with the nemesis, given a cluster) and the read-back; problems go to `outcome`.
workloads::DriverResult DriveWorkload(RealRuntime& rt, const BenchOptions& options, ClusterRun* cluster,
                                      BenchOutcome& outcome) {
  const workloads::Scenario& scenario = options.scenario;
  workloads::ProgressLine progress(stderr, isatty(STDERR_FILENO) != 0,
                                   absl::StrCat(scenario.name, " on ", options.label));
  workloads::DriverOptions driver_options;
  driver_options.seed = options.seed;
  if (options.progress) driver_options.on_tick = [&](const workloads::TimelinePoint& p) { progress.Update(p); };
  workloads::Driver driver(rt, scenario, driver_options);
  driver.Start();
  std::unique_ptr<Nemesis> nemesis;
  if (cluster != nullptr) {
    nemesis = std::make_unique<Nemesis>(rt, *cluster->control, cluster->steps);
    nemesis->Start(driver);
  }
  if (absl::Status s = rt.RunUntil([&] { return driver.Done(); }, rt.Now() + options.run_limit); !s.ok()) {
    outcome.problems.push_back(absl::StrCat("workload: ", std::string(s.message())));
  }
  if (options.progress) progress.Finish();
  const core::Nanos measured_start = driver.measured_start();
  workloads::DriverResult result = driver.Done() ? driver.Finish() : workloads::DriverResult{};
  if (nemesis != nullptr) nemesis->Quiesce(cluster->proxy);  // the read-back needs the whole cluster.
  const std::vector<std::string> keys = workloads::WrittenKeys(result.history);
  if (driver.Done() && !RunReadBack(rt, keys, scenario.clients, result.history)) {
    outcome.problems.push_back(absl::StrCat("the read-back of ", keys.size(), " written keys did not finish within ",
                                            kBenchReadbackDeadline / core::kNanosPerSecond, " s"));
  }
  if (nemesis != nullptr) {
    AddNemesisMetrics(*nemesis, measured_start, scenario.timeline_interval, result.history, result.report);
    for (const std::string& p : nemesis->problems()) outcome.problems.push_back(p);
    for (const std::string& n : nemesis->notes()) outcome.notes.push_back(n);
    outcome.views = nemesis->views();
    outcome.measured_start = measured_start;
  }
  return result;
}

// Names the run in its report and checks its history against the model asked for.
void ReportAndCheck(const BenchOptions& options, workloads::DriverResult result, BenchOutcome& outcome) {
  workloads::RunReport& report = result.report;
  report.scenario = options.scenario.name;
  report.policy = options.label;
  report.world = "real";
  report.seed = options.seed;
  report.nodes = static_cast<int>(options.targets.size());
  const workloads::CheckResult check = options.model == "eventual" ? workloads::CheckEventual(result.history)
                                                                   : workloads::CheckLinearizable(result.history);
  report.check = workloads::Summarize(check);
  if (!check.ok) outcome.check_details = workloads::FormatCheckResult(check);
  outcome.report = std::move(report);
  outcome.history = std::move(result.history);
}

}  // namespace

namespace {

// With --cluster: the control channel, the cluster's shape, its nodes as targets (if none were
// given), and the nemesis plan (a fault it cannot apply refused here, before the run).
absl::StatusOr<ClusterRun> OpenCluster(BenchOptions& options) {
  ClusterRun run;
  absl::StatusOr<std::unique_ptr<ControlClient>> control = ControlClient::ConnectDir(options.cluster_dir);
  if (!control.ok()) return control.status();
  run.control = std::move(*control);
  absl::StatusOr<std::string> info = run.control->Call("info");
  if (!info.ok()) return info.status();
  for (absl::string_view field : absl::StrSplit(*info, ' ')) {
    if (absl::ConsumePrefix(&field, "policy=")) run.policy = std::string(field);
    if (absl::ConsumePrefix(&field, "nodes=")) run.nodes = std::atoi(std::string(field).c_str());
    if (field == "proxy=yes") run.proxy = true;
  }
  absl::StatusOr<std::vector<NemesisStep>> steps = PlanNemesis(options.scenario.faults, run.nodes, run.proxy);
  if (!steps.ok()) return steps.status();
  run.steps = std::move(*steps);
  if (options.targets.empty()) {
    absl::StatusOr<std::string> status = run.control->Call("status");
    if (!status.ok()) return status.status();
    absl::StatusOr<std::vector<ClusterNode>> nodes = ParseStatus(*status);
    if (!nodes.ok()) return nodes.status();
    for (const ClusterNode& n : *nodes) options.targets.push_back(Target{"127.0.0.1", n.port});
  }
  if (options.label == "external") options.label = run.policy;
  return run;
}

}  // namespace

absl::StatusOr<BenchOutcome> RunBench(const BenchOptions& given) {
  BenchOptions options = given;
  std::optional<ClusterRun> cluster;
  if (!options.cluster_dir.empty()) {
    absl::StatusOr<ClusterRun> run = OpenCluster(options);
    if (!run.ok()) return run.status();
    cluster = std::move(*run);
  }
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<RealRuntime>> rt = ConnectTargets(options);
  if (!rt.ok()) return rt.status();
  BenchOutcome outcome;
  if (!options.scenario.faults.empty() && !cluster.has_value()) {
    outcome.notes.push_back(absl::StrCat("the scenario's ", options.scenario.faults.size(),
                                         " scheduled faults were not applied: kvlab bench does not control "
                                         "external servers (use kvlab sim for fault runs)"));
  }
  workloads::DriverResult result = DriveWorkload(**rt, options, cluster ? &*cluster : nullptr, outcome);
  ReportAndCheck(options, std::move(result), outcome);
  return outcome;
}

}  // namespace kvlab::real
