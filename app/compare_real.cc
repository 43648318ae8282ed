#include "app/compare_real.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/real_verdict.h"
#include "net/event_loop.h"
#include "net/tcp.h"
#include "real/cluster_launcher.h"
#include "real/control_client.h"
#include "real/nemesis.h"

namespace kvlab::app {
namespace {

core::Nanos Scaled(core::Nanos t, double scale) {
  return static_cast<core::Nanos>(std::llround(static_cast<double>(t) * scale));
}

int NodesFor(const core::PolicyChoice& policy) {
  return core::CheckClusterSize(*policy.info, kRealCompareNodes).ok() ? kRealCompareNodes : 1;
}

bool PortFree(int port) {
  absl::StatusOr<net::Listening> l = net::ListenTcp("127.0.0.1", port);
  if (!l.ok()) return false;
  close(l->fd);
  return true;
}

// A base port whose client, peer and proxy ports (real/cluster_launcher.h) are all free now.
absl::StatusOr<int> FreeClusterBase(int nodes) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    absl::StatusOr<net::Listening> l = net::ListenTcp("127.0.0.1", 0);
    if (!l.ok()) return l.status();
    close(l->fd);
    const int base = l->port;
    if (base + real::kProxyPortOffset + nodes * nodes > 65535) continue;
    bool ok = true;
    for (int i = 0; i < nodes && ok; ++i) ok = PortFree(base + i) && PortFree(base + real::kPeerPortOffset + i);
    for (int i = 0; i < nodes * nodes && ok; ++i) ok = PortFree(base + real::kProxyPortOffset + i);
    if (ok) return base;
  }
  return absl::UnavailableError("no free loopback ports for a cluster");
}

void WaitMillis(int ms) { poll(nullptr, 0, ms); }  // a bounded poll interval, never a wait for a result.

// A `kvlab cluster --proxy` child of this process, in its own temporary data dir; stopped and
// removed by the destructor.
class ChildCluster {
 public:
  ChildCluster() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kvlab-compare-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) root_ = tmpl;
  }
  ~ChildCluster() {
    Stop();
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  ChildCluster(const ChildCluster&) = delete;
  ChildCluster& operator=(const ChildCluster&) = delete;

  std::string data_dir() const { return root_ + "/c"; }

  absl::Status Start(const core::PolicyChoice& policy, int nodes) {
    if (root_.empty()) return absl::UnavailableError("cannot create a temporary data dir");
    absl::StatusOr<int> base = FreeClusterBase(nodes);
    if (!base.ok()) return base.status();
    std::vector<std::string> args = {"kvlab",        "cluster",      "--nodes",     absl::StrCat(nodes), "--policy",
                                     policy.label(), "--proxy",      "--base-port", absl::StrCat(*base), "--data-dir",
                                     data_dir(),     "--durability", "fsync"};
    const std::string log = root_ + "/cluster.log";
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    if (pid_ < 0) return absl::UnavailableError("fork failed");
    return WaitReady(policy);
  }

 private:
  // Every node answers and one leads (or, leaderless, every node is a replica).
  absl::Status WaitReady(const core::PolicyChoice& policy) {
    const core::Nanos deadline = net::EventLoop::MonotonicNow() + kClusterReadyDeadline;
    std::unique_ptr<real::ControlClient> control;
    std::string last = "no control socket";
    while (net::EventLoop::MonotonicNow() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::UnavailableError(
            absl::StrCat("kvlab cluster --policy ", policy.label(), " exited while starting (see its log)"));
      }
      if (control == nullptr) {
        absl::StatusOr<std::unique_ptr<real::ControlClient>> c = real::ControlClient::ConnectDir(data_dir());
        if (c.ok()) control = std::move(*c);
      }
      if (control != nullptr) {
        absl::StatusOr<std::string> status = control->Call("status");
        if (status.ok()) last = *status;
        if (status.ok() && Ready(*status)) return absl::OkStatus();
      }
      WaitMillis(50);
    }
    return absl::UnavailableError(absl::StrCat("the ", policy.label(), " cluster was not ready within ",
                                               kClusterReadyDeadline / core::kNanosPerSecond, " s: ", last));
  }

  static bool Ready(const std::string& status) {
    absl::StatusOr<std::vector<real::ClusterNode>> nodes = real::ParseStatus(status);
    if (!nodes.ok()) return false;
    bool leads = false, all_replicas = true;
    for (const real::ClusterNode& n : *nodes) {
      if (n.state != "running" || n.role.empty() || n.role == "unreachable" || n.role == "-") return false;
      leads |= n.role == "leader" || n.role == "primary" || n.role == "head" || n.role == "single";
      all_replicas &= n.role == "replica";
    }
    return leads || all_replicas;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const core::Nanos deadline = net::EventLoop::MonotonicNow() + kClusterStopDeadline;
    while (net::EventLoop::MonotonicNow() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      WaitMillis(20);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string root_;
  pid_t pid_ = -1;
};

// What real processes cannot run, by name, before any cluster starts.
absl::Status RefuseTheImpossible(const RealCompareOptions& options) {
  if (options.random_faults) {
    return absl::InvalidArgumentError(
        "--faults: random faults are drawn by the simulator only; on real processes each scenario runs its own "
        "fault schedule through the nemesis (use --faults none)");
  }
  if (!(options.scale > 0 && options.scale <= 1)) return absl::InvalidArgumentError("--scale: want 0 < s <= 1");
  for (const workloads::Scenario& scenario : options.scenarios) {
    for (const core::PolicyChoice& policy : options.policies) {
      absl::StatusOr<std::vector<real::NemesisStep>> plan =
          real::PlanNemesis(ScaleScenario(scenario, options.scale).faults, NodesFor(policy), /*proxy=*/true);
      if (!plan.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("scenario '", scenario.name, "' cannot run on real processes: ", plan.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

// A run that did not happen (the bench refused or the cluster failed): a failed report naming it.
real::BenchOutcome FailedRun(const workloads::Scenario& scenario, const core::PolicyChoice& policy, uint64_t seed,
                             int nodes, const absl::Status& why) {
  real::BenchOutcome outcome;
  outcome.report.scenario = scenario.name;
  outcome.report.policy = policy.label();
  outcome.report.world = "real";
  outcome.report.seed = seed;
  outcome.report.nodes = nodes;
  outcome.report.check = workloads::CheckSummary{.model = "none", .ok = false, .violations = 0, .details = ""};
  outcome.problems.push_back(std::string(why.message()));
  return outcome;
}

// Every scenario and seed of one policy, on one cluster; each run's keys carry their own prefix,
// so a run starts with its keys absent (abd and quorum cannot FLUSHALL).
void RunPolicy(const RealCompareOptions& options, const core::PolicyChoice& policy, const RealRunHook& on_run,
               std::vector<std::vector<workloads::RunReport>>& by_scenario, std::vector<int>& failed) {
  const int nodes = NodesFor(policy);
  ChildCluster cluster;
  const absl::Status started = cluster.Start(policy, nodes);
  for (size_t s = 0; s < options.scenarios.size(); ++s) {
    const workloads::Scenario scenario = ScaleScenario(options.scenarios[s], options.scale);
    for (uint64_t seed : sim::SeedsOfShard(options.seeds, sim::Shard{})) {
      real::BenchOutcome outcome;
      if (!started.ok()) {
        outcome = FailedRun(scenario, policy, seed, nodes, started);
      } else {
        real::BenchOptions bench;
        bench.scenario = scenario;
        bench.seed = seed;
        bench.cluster_dir = cluster.data_dir();
        bench.key_prefix = absl::StrCat(scenario.name, "-", seed, ":");
        absl::StatusOr<real::BenchOutcome> ran = real::RunBench(bench);
        outcome = ran.ok() ? *std::move(ran) : FailedRun(scenario, policy, seed, nodes, ran.status());
        if (ran.ok()) JudgeByPromise(outcome);
      }
      outcome.report.scenario = options.scenarios[s].name;
      outcome.report.policy = policy.label();
      if (on_run) on_run(outcome);
      failed[s] += outcome.ok() ? 0 : 1;
      by_scenario[s].push_back(outcome.report);
    }
  }
}

}  // namespace

workloads::Scenario ScaleScenario(const workloads::Scenario& scenario, double scale) {
  workloads::Scenario s = scenario;
  if (s.ops > 0) {
    const uint64_t floor = std::max<uint64_t>(kMinScaledOps, static_cast<uint64_t>(s.clients));
    s.ops = std::min(s.ops, std::max(floor, static_cast<uint64_t>(std::llround(static_cast<double>(s.ops) * scale))));
  }
  if (s.duration > 0) s.duration = std::max(kMinScaledDuration, Scaled(s.duration, scale));
  const double fault_scale = scenario.duration > 0 ? static_cast<double>(s.duration) / scenario.duration : scale;
  for (workloads::FaultSpec& f : s.faults) {
    f.at = Scaled(f.at, fault_scale);
    f.duration = Scaled(f.duration, fault_scale);
  }
  return s;
}

absl::StatusOr<sim::CompareResult> RunRealCompare(const RealCompareOptions& options, const RealRunHook& on_run) {
  if (absl::Status s = RefuseTheImpossible(options); !s.ok()) return s;
  // Scenario-major like the simulator's result, though the runs go policy by policy (one cluster each).
  std::vector<std::vector<std::vector<workloads::RunReport>>> runs(options.policies.size());
  std::vector<std::vector<int>> failed(options.policies.size());
  for (size_t p = 0; p < options.policies.size(); ++p) {
    runs[p].resize(options.scenarios.size());
    failed[p].assign(options.scenarios.size(), 0);
    RunPolicy(options, options.policies[p], on_run, runs[p], failed[p]);
  }
  sim::CompareResult result;
  for (size_t s = 0; s < options.scenarios.size(); ++s) {
    for (size_t p = 0; p < options.policies.size(); ++p) {
      result.rows.push_back(
          sim::SummarizeRuns(options.scenarios[s].name, options.policies[p], runs[p][s], failed[p][s]));
      result.reports.insert(result.reports.end(), runs[p][s].begin(), runs[p][s].end());
      result.failed += failed[p][s];
    }
  }
  return result;
}

std::string FormatRealRun(const real::BenchOutcome& outcome) {
  const workloads::RunReport& r = outcome.report;
  const auto unavailable = r.metrics.find("unavailability_s");
  std::string line = absl::StrFormat(
      "%-17s %-20s seed %-4d %8.0f ops/s  p50 %8.0f us  p99 %8.0f us  errors %-5d unavailable %s  check %s\n",
      r.scenario, r.policy, r.seed, r.throughput_ops_s, r.latency.p50_us, r.latency.p99_us, r.errors,
      unavailable == r.metrics.end() ? std::string("-") : absl::StrFormat("%.3f s", unavailable->second),
      outcome.ok() ? "ok" : "FAILED");
  for (const std::string& p : outcome.problems) absl::StrAppend(&line, "  PROBLEM: ", p, "\n");
  if (!outcome.check_details.empty() && !outcome.ok()) absl::StrAppend(&line, outcome.check_details);
  return line;
}

}  // namespace kvlab::app
