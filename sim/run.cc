#include "sim/run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <span>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/assert.h"
#include "sim/final_reads.h"
#include "sim/sim_runtime.h"
#include "sim/simulator.h"
#include "sim/verdict.h"
#include "workloads/checker.h"
#include "workloads/driver.h"
#include "workloads/readback.h"

namespace kvlab::sim {
namespace {

using workloads::HistoryOp;

bool ClusterReady(Simulator& sim) {
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim.node_count()); ++id) {
    core::Node* node = sim.node(id).node();
    if (node == nullptr || !node->Ready()) return false;
  }
  return true;
}

// A partition must name members only and leave some node on the other side: else it would cut
// nothing (every action skipped), so it is refused by name rather than run as a no-op.
absl::Status CheckPartition(const workloads::FaultSpec& spec, const std::set<core::NodeId>& group, int nodes) {
  const std::string fault = absl::StrCat("fault 'partition' at ", workloads::FormatDuration(spec.at));
  for (core::NodeId id : group) {
    if (id < 1 || id > static_cast<core::NodeId>(nodes)) {
      return absl::InvalidArgumentError(
          absl::StrCat(fault, " names node ", id, " but the cluster has nodes 1..", nodes));
    }
  }
  if (group.size() >= static_cast<size_t>(nodes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(fault, " names every node of the cluster (1..", nodes, "): it cuts nothing off"));
  }
  return absl::OkStatus();
}

// Maps the scenario's fault schedule onto simulator actions, shifted to the measured start.
absl::StatusOr<std::vector<FaultAction>> ScheduledFaults(const workloads::Scenario& scenario, int nodes,
                                                         core::Nanos offset) {
  std::vector<FaultAction> actions;
  for (const workloads::FaultSpec& spec : scenario.faults) {
    FaultAction a;
    a.at = offset + spec.at;
    a.node = spec.node;
    a.process_exit = spec.process_exit;
    const bool names_node =
        spec.kind != "partition" && spec.kind != "heal" && spec.kind != "crash_leader" && spec.kind != "restart_all";
    if (names_node && (spec.node < 1 || spec.node > static_cast<core::NodeId>(nodes))) {
      return absl::InvalidArgumentError(absl::StrCat("fault '", spec.kind, "' at ", workloads::FormatDuration(spec.at),
                                                     " names node ", spec.node, " but the cluster has nodes 1..",
                                                     nodes));
    }
    if (spec.kind == "partition") {
      std::set<core::NodeId> group(spec.nodes.begin(), spec.nodes.end());
      if (absl::Status s = CheckPartition(spec, group, nodes); !s.ok()) return s;
      for (core::NodeId in : group) {
        for (core::NodeId out = 1; out <= static_cast<core::NodeId>(nodes); ++out) {
          if (group.contains(out)) continue;
          actions.push_back(FaultAction{a.at, FaultKind::kBlockLink, in, out, 0, 0, spec.buffered});
          if (!spec.one_way) actions.push_back(FaultAction{a.at, FaultKind::kBlockLink, out, in, 0, 0, spec.buffered});
        }
      }
      continue;
    }
    if (spec.kind == "hold") {  // every link of the node, then their release.
      actions.push_back(FaultAction{a.at, FaultKind::kHold, spec.node, 0, spec.duration, 0, false});
      actions.push_back(FaultAction{a.at + spec.duration, FaultKind::kRelease, spec.node, 0, 0, 0, false});
      continue;
    }
    if (spec.kind == "crash")
      a.kind = FaultKind::kCrash;
    else if (spec.kind == "restart")
      a.kind = FaultKind::kRestart;
    else if (spec.kind == "pause")
      a.kind = FaultKind::kPause;
    else if (spec.kind == "resume")
      a.kind = FaultKind::kResume;
    else if (spec.kind == "heal")
      a.kind = FaultKind::kHeal;
    else if (spec.kind == "disk_fail")
      a.kind = FaultKind::kTornCrash;  // dies mid-write.
    else if (spec.kind == "disk_heal")
      a.kind = FaultKind::kRestart;  // boots from what survived.
    else if (spec.kind == "clock_skew") {
      if (spec.amount < 0)
        return absl::InvalidArgumentError("fault 'clock_skew': amount must be >= 0 (clocks only jump forward)");
      a.kind = FaultKind::kClockJump;
      a.amount = spec.amount;
    } else {
      absl::StatusOr<FaultKind> kind = ParseFaultKind(spec.kind);
      if (!kind.ok()) return kind.status();
      a.kind = *kind;
      if (a.kind == FaultKind::kIoError) a.amount = spec.amount != 0 ? 1 : 0;
    }
    actions.push_back(a);
  }
  return actions;
}

// Prints a progress line at most every few wall-seconds: in place on a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(enabled && isatty(STDERR_FILENO)) {}
  void Tick(const workloads::TimelinePoint& p, uint64_t total_ops) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(tty_ ? 1 : 5)) return;
    last_ = now;
    std::fprintf(stderr, "%s  virtual %.1f s, %llu ops%s", tty_ ? "\r" : "", p.t_s,
                 static_cast<unsigned long long>(total_ops), tty_ ? "" : "\n");
    std::fflush(stderr);
    printed_ = true;
  }
  ~Progress() {
    if (tty_ && printed_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  bool tty_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Successful ops completed in [from, to).
uint64_t SuccessesIn(std::span<const HistoryOp> history, core::Nanos from, core::Nanos to) {
  uint64_t n = 0;
  for (const HistoryOp& op : history) {
    n += op.result == workloads::OpResult::kOk && op.complete_ns >= from && op.complete_ns < to;
  }
  return n;
}

// The fraction of the throughput lost in the kDipWindow after a crash at `at`, against the measured
// run's throughput before it (0: none lost, 1: nothing served); -1 when either span is shorter than
// the window (a crash at the very start or end of the run).
double ThroughputDip(std::span<const HistoryOp> history, core::Nanos measured_start, core::Nanos end, core::Nanos at) {
  if (at - measured_start < kDipWindow || end - at < kDipWindow) return -1;
  const double before =
      static_cast<double>(SuccessesIn(history, measured_start, at)) / static_cast<double>(at - measured_start);
  const double after = static_cast<double>(SuccessesIn(history, at, at + kDipWindow)) / kDipWindow;
  return before <= 0 ? -1 : std::clamp(1 - after / before, 0.0, 1.0);
}

// For each crash (whichever node it hit: the same figures for every policy, leader or not), the
// unavailability window, from the crash to the first success of a request sent after it, and the
// throughput dip; the run reports its worst crash for each.
void AddCrashFigures(const FaultInjector& injector, std::span<const HistoryOp> history, core::Nanos measured_start,
                     core::Nanos end, workloads::RunReport& report) {
  double worst = -1, worst_dip = -1;
  for (const FaultRecord& f : injector.records()) {
    if (f.kind != "crash" && f.kind != "torn_crash") continue;
    core::Nanos first_success = -1;
    for (const HistoryOp& op : history) {
      if (op.invoke_ns >= f.at && op.result == workloads::OpResult::kOk &&
          (first_success < 0 || op.complete_ns < first_success)) {
        first_success = op.complete_ns;
      }
    }
    if (first_success >= 0) worst = std::max(worst, static_cast<double>(first_success - f.at) / 1e9);
    worst_dip = std::max(worst_dip, ThroughputDip(history, measured_start, end, f.at));
  }
  if (worst >= 0) report.metrics["unavailability_s"] = worst;
  if (worst_dip >= 0) report.metrics["throughput_dip"] = worst_dip;
}

// Where the run's figures stop: the final reads' own traffic and ops (sim/final_reads.h) are
// verification, not part of what is measured.
struct FigureCut {
  uint64_t peer_messages = 0;
  uint64_t control_messages = 0;
  size_t history_ops = 0;
};

// Figures for comparing policies: messages and fsyncs per acknowledged write, and the crashes'
// unavailability windows and throughput dips; `history` and the message counts up to the cut.
void AddMetrics(Simulator& sim, const FaultInjector& injector, const FigureCut& cut, std::span<const HistoryOp> history,
                core::Nanos measured_start, core::Nanos workload_end, workloads::RunReport& report) {
  uint64_t writes = 0, fsyncs = 0, syncs_lost = 0, write_errors = 0, sync_errors = 0;
  for (const HistoryOp& op : history) writes += op.op != "get" && op.result == workloads::OpResult::kOk;
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim.node_count()); ++id) {
    const DiskStats& disk = sim.node(id).sim_disk().stats();
    fsyncs += disk.syncs;
    syncs_lost += disk.syncs_lost;
    write_errors += disk.write_errors;
    sync_errors += disk.sync_errors;
  }
  // The replication lag of the leaders crashed (applied - commit index at the kill).
  int64_t lag = -1;
  for (const FaultRecord& f : injector.records()) lag = std::max(lag, f.lag_at_kill);
  if (lag >= 0) report.metrics["lag_at_kill_max"] = static_cast<double>(lag);
  // Disk faults that reached the policy: syncs a crash cut off, injected EIO returned.
  report.metrics["syncs_lost"] = static_cast<double>(syncs_lost);
  report.metrics["write_errors"] = static_cast<double>(write_errors);
  report.metrics["sync_errors"] = static_cast<double>(sync_errors);
  uint64_t reads = 0;
  for (const HistoryOp& op : history) reads += op.op == "get" && op.result == workloads::OpResult::kOk;
  if (writes + reads > 0) {  // every peer message (anti-entropy and heartbeats too) per acknowledged op.
    report.metrics["peer_messages_per_op"] =
        static_cast<double>(cut.peer_messages) / static_cast<double>(writes + reads);
    report.metrics["write_fraction"] = static_cast<double>(writes) / static_cast<double>(writes + reads);
  }
  if (writes > 0) {
    // The data path only; a configuration service's traffic (pb's and chain's view service) apart.
    const double data = static_cast<double>(cut.peer_messages - cut.control_messages);
    report.metrics["peer_messages_per_write"] = data / static_cast<double>(writes);
    if (cut.control_messages > 0 && !history.empty()) {
      report.metrics["view_msgs_per_op"] =
          static_cast<double>(cut.control_messages) / static_cast<double>(history.size());
    }
    report.metrics["fsyncs_per_write"] = static_cast<double>(fsyncs) / static_cast<double>(writes);
  }
  AddCrashFigures(injector, history, measured_start, workload_end, report);
  // Snapshot counters the policies publish in Info() (live nodes, since their last start).
  for (const char* name : {"snapshots_taken", "snapshots_installed"}) {
    double total = 0;
    for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim.node_count()); ++id) {
      core::Node* node = sim.node(id).node();
      if (node == nullptr) continue;
      for (const auto& [key, value] : node->Info()) {
        int64_t n = 0;
        if (key == name && absl::SimpleAtoi(value, &n)) total += static_cast<double>(n);
      }
    }
    if (total > 0) report.metrics[name] = total;
  }
  const NetworkStats& net = sim.network().stats();
  if (net.held > 0) {  // messages stalled by holds and buffered partitions, and delivered late.
    report.metrics["messages_held"] = static_cast<double>(net.held);
    report.metrics["messages_released"] = static_cast<double>(net.released);
  }
}

}  // namespace

SimConfig ToSimConfig(const workloads::SimParams& p, core::Nanos client_timeout, const ModelCosts& costs) {
  SimConfig c;
  c.disk.fsync_quantiles = costs.fsync;
  c.cpu.wake_ns = costs.cpu_wake_ns;
  c.cpu.cores = costs.cpu_cores;
  c.disk.shared_devices = costs.disk_devices;
  c.cpu.per_message_ns = costs.cpu_per_message_ns;
  c.cpu.per_sync_ns = costs.cpu_per_sync_ns;
  c.cpu.client_per_op_ns = costs.client_cpu_per_op_ns;
  c.cpu.client_first_op_ns = costs.client_cpu_first_op_ns;
  c.cpu.per_connection_ns = costs.cpu_per_connection_ns;
  c.cpu.client_per_connection_ns = costs.client_cpu_per_connection_ns;
  c.network.latency_ns = core::Micros(p.net_latency_us);
  c.network.jitter_ns = core::Micros(p.net_jitter_us);
  c.network.bandwidth_bytes_per_sec = static_cast<uint64_t>(p.net_bandwidth_mbps) * 1'000'000 / 8;
  c.network.loss_ppm = p.net_loss_ppm;
  c.network.duplicate_ppm = p.net_duplicate_ppm;
  c.network.reorder_ppm = p.net_reorder_ppm;
  c.disk.write_latency_ns = core::Micros(p.disk_write_us);
  c.disk.fsync_latency_ns = core::Micros(p.disk_fsync_us);
  c.disk.fsync_jitter_ns = core::Micros(p.disk_fsync_jitter_us);
  c.disk.fsync_slow_ppm = p.disk_fsync_slow_ppm;
  c.disk.fsync_slow_ns = core::Micros(p.disk_fsync_slow_us);
  c.cpu.per_event_ns = p.cpu_event_ns;
  c.cpu.per_kib_ns = p.cpu_per_byte_ns * 1024;
  c.clock.max_skew_ns = core::Micros(p.clock_max_skew_us);
  c.clock.max_drift_ppm = p.clock_max_drift_ppm;
  c.client_timeout_ns = client_timeout;
  return c;
}

namespace {

int NodesOf(const SimRunOptions& o) { return o.nodes > 0 ? o.nodes : o.policy.info->default_nodes; }

// How many of `nodes` the policy survives losing (0 if it does not say).
int MaxFaulty(const SimRunOptions& o, int nodes) {
  return o.policy.info->max_faulty != nullptr ? o.policy.info->max_faulty(nodes) : 0;
}

}  // namespace

std::string ReplayCommand(const SimRunOptions& o) {
  std::string cmd = absl::StrCat("kvlab sim --scenario ", o.scenario_arg.empty() ? o.scenario.name : o.scenario_arg,
                                 " --policy ", o.policy.label(), " --nodes ", NodesOf(o), " --seed ", o.seed);
  if (o.faults != FaultMode::kNone) absl::StrAppend(&cmd, " --faults ", std::string(FaultModeName(o.faults)));
  if (!o.costs_path.empty()) absl::StrAppend(&cmd, " --costs ", o.costs_path);
  return cmd;
}

namespace {

// Runs the fibers spawned so far until they finish or virtual time passes `limit`.
absl::Status RunFibers(Simulator& sim, SimRuntime& runtime, core::Nanos limit) {
  return sim.RunUntil([&] { return runtime.AllFinished(); }, limit);
}

// Progress once faults healed: a probe write and read through every live node within
// kProgressBound (sim/verdict.h).
void CheckProgress(Simulator& sim, SimRuntime& runtime, SimRunOutcome& outcome) {
  const core::Nanos deadline = sim.now() + kProgressBound;
  ProbeResult probe;
  const std::vector<core::NodeId> live = LiveNodes(sim);
  runtime.Spawn([&] { probe = ProbeProgress(runtime, live, deadline); });
  const absl::Status ran = RunFibers(sim, runtime, deadline + core::Seconds(10));
  if (ran.ok() && probe.ok) {
    outcome.report.metrics["progress_probe_s"] = static_cast<double>(probe.took_ns) / 1e9;
    return;
  }
  outcome.problems.push_back(absl::StrCat(
      "no progress after faults healed: ", probe.failure.empty() ? std::string(ran.message()) : probe.failure,
      " within ", kProgressBound / core::kNanosPerSecond, " s of virtual time"));
}

// Every key an acknowledged write touched is read once more into the history (the checker then
// sees a lost write), within kRecoveryDeadline.
void ReadBackWrittenKeys(Simulator& sim, SimRuntime& runtime, int workload_clients, std::vector<HistoryOp>& history,
                         SimRunOutcome& outcome) {
  const std::vector<std::string> keys = workloads::WrittenKeys(history);
  const core::Nanos deadline = sim.now() + kRecoveryDeadline;
  bool verified = false;
  runtime.Spawn([&] {
    verified =
        workloads::ReadBack(runtime, keys, {.workload_clients = workload_clients, .deadline = deadline}, history);
  });
  const absl::Status ran = RunFibers(sim, runtime, deadline + core::Seconds(10));
  if (ran.ok() && verified) return;
  outcome.problems.push_back(absl::StrCat("no progress after faults healed: the read-back of ", keys.size(),
                                          " written keys did not finish within ",
                                          kRecoveryDeadline / core::kNanosPerSecond, " s of virtual time"));
}

bool ChecksEventually(const SimRunOptions& options) {
  const core::Consistency promise = core::PromiseOf(options.policy);
  return promise == core::Consistency::kEventual || promise == core::Consistency::kEventualReadLatest;
}

// The eventual checker's final reads, taken once the replicas converged (sim/final_reads.h), within
// kRecoveryDeadline.
void ReadFinalValues(Simulator& sim, SimRuntime& runtime, int workload_clients, std::vector<HistoryOp>& history,
                     SimRunOutcome& outcome) {
  const FinalReadPlan plan = PlanFinalReads(history, workload_clients);
  if (const size_t n = FinalReadCount(plan); n > kMaxFinalReads) {
    outcome.problems.push_back(absl::StrCat("the final reads after convergence would be ", n, " reads, above the ",
                                            kMaxFinalReads, " allowed: fewer clients or keys"));
    return;
  }
  FinalReads reads(history);
  SpawnFinalReads(runtime, plan, sim.now() + kRecoveryDeadline, reads);
  const absl::Status ran = RunFibers(sim, runtime, sim.now() + kRecoveryDeadline + core::Seconds(10));
  history.insert(history.end(), reads.ops.begin(), reads.ops.end());
  if (ran.ok() && reads.failures.empty()) {
    outcome.report.metrics["final_reads"] = static_cast<double>(reads.ops.size());
    return;
  }
  outcome.problems.push_back(absl::StrCat("no progress after faults healed: final reads: ",
                                          reads.failures.empty() ? std::string(ran.message()) : reads.failures.front(),
                                          " within ", kRecoveryDeadline / core::kNanosPerSecond, " s of virtual time"));
}

// The verdicts once faults stopped: refusals judged against the faults that caused them; then,
// unless more nodes refused corrupt data than the policy survives (then nothing can serve by
// design, and the refusal is the run's correct outcome), progress, read-back and convergence.
// False when the refusals excused the cluster from serving (then nothing more is asked of it).
bool VerifyAfterHeal(Simulator& sim, SimRuntime& runtime, const FaultInjector& injector, const SimRunOptions& options,
                     int nodes, std::vector<HistoryOp>& history, SimRunOutcome& outcome) {
  RefusalVerdict refusals = JudgeRefusals(injector);
  for (std::string& n : refusals.notes) outcome.notes.push_back(std::move(n));
  for (std::string& p : refusals.problems) outcome.problems.push_back(std::move(p));
  if (refusals.justified > MaxFaulty(options, nodes)) {
    outcome.notes.push_back(absl::StrCat(refusals.justified, " of ", nodes,
                                         " nodes refused corrupt data, more than the ", MaxFaulty(options, nodes),
                                         " the policy survives: progress and read-back are not required"));
    return false;
  }
  CheckProgress(sim, runtime, outcome);
  ReadBackWrittenKeys(sim, runtime, options.scenario.clients, history, outcome);
  core::Nanos converged_after = -1;
  for (std::string& p : CheckConvergence(sim, kSettleBound, &converged_after)) outcome.problems.push_back(std::move(p));
  if (converged_after >= 0) outcome.report.metrics["convergence_s"] = static_cast<double>(converged_after) / 1e9;
  return true;
}

// With no fault at all, every request must succeed.
void CheckNoFaultErrors(const SimRunOptions& options, const workloads::RunReport& report, SimRunOutcome& outcome) {
  if (options.faults != FaultMode::kNone || !options.scenario.faults.empty() || report.errors == 0) return;
  outcome.problems.push_back(absl::StrCat(report.errors, " of ", report.ops,
                                          " requests failed in a run with no faults (every request must succeed)"));
}

// An eventual policy's figures (not failures): stale reads and staleness, and the linearizability
// violations its history holds (their number, capped at the checker's max_violations, and one example).
void ReportWeakerThanLinearizable(const std::vector<HistoryOp>& history, const workloads::CheckResult& check,
                                  workloads::RunReport& report, SimRunOutcome& outcome) {
  const workloads::StalenessStats& st = check.staleness;
  report.metrics["stale_reads"] = static_cast<double>(st.stale_reads);
  report.metrics["stale_read_rate"] = st.reads == 0 ? 0 : static_cast<double>(st.stale_reads) / st.reads;
  report.metrics["max_staleness_ms"] = static_cast<double>(st.max_staleness_ns) / 1e6;
  const workloads::CheckResult lin = workloads::CheckLinearizable(history);
  report.metrics["linearizability_violations"] = static_cast<double>(lin.violations.size());
  if (lin.violations.empty()) return;
  const workloads::Violation& v = lin.violations.front();
  outcome.notes.push_back(absl::StrCat("not linearizable (a figure, not a failure, for an eventual policy): key '",
                                       v.key, "': ", v.reason, " (", v.ops.size(), " ops)"));
}

// The read-latest promise: a stale read (one that missed a write acknowledged before it began,
// workloads/eventual.cc) fails the run.
void RequireLatestReads(workloads::CheckResult& check) {
  const workloads::StalenessStats& st = check.staleness;
  if (st.stale_reads == 0) return;
  check.ok = false;
  check.violations.push_back(workloads::Violation{
      .key = "",
      .reason = absl::StrCat(st.stale_reads, " of ", st.reads,
                             " reads missed a write acknowledged before they began (max staleness ",
                             static_cast<double>(st.max_staleness_ns) / 1e6,
                             " ms): the promise (R + W > N, strict quorum) is read-latest"),
      .ops = {}});
}

// The measured run in virtual time: from the end of the preload to the workload's end (the quiesce).
struct MeasuredSpan {
  core::Nanos start = 0;
  core::Nanos end = 0;
};

void FillReport(Simulator& sim, const FaultInjector& injector, const SimRunOptions& options, int nodes,
                MeasuredSpan span, const FigureCut& cut, double sim_wall_s, const std::vector<HistoryOp>& history,
                workloads::RunReport& report, SimRunOutcome& outcome) {
  const core::Nanos measured_start = span.start;
  report.policy = options.policy.label();
  report.world = "sim";
  report.seed = options.seed;
  report.nodes = nodes;
  int skipped = 0;
  for (const FaultRecord& f : injector.records()) {
    const double t_s = static_cast<double>(f.at - measured_start) / 1e9;
    report.faults.push_back(workloads::FaultEvent{t_s, f.kind, f.node});
    if (f.kind != "skipped") continue;
    ++skipped;  // listed with its reason: a fault that could not apply is never silently dropped.
    outcome.notes.push_back(absl::StrFormat("fault skipped at %.3f s (node %d): %s", t_s, f.node, f.detail));
  }
  if (skipped > 0) report.metrics["faults_skipped"] = skipped;
  AddMetrics(sim, injector, cut, std::span<const HistoryOp>(history).first(cut.history_ops), measured_start, span.end,
             report);
  // Where the faults' t_s count from, on the history's clock (the counterexample viewer needs it).
  report.metrics["measured_start_s"] = static_cast<double>(measured_start) / 1e9;
  for (const auto& [name, value] : outcome.report.metrics) report.metrics[name] = value;  // the verdicts' figures.
  const core::Consistency promise = core::PromiseOf(options.policy);
  workloads::CheckResult check;
  if (ChecksEventually(options)) {
    check = workloads::CheckEventual(history);
    if (promise == core::Consistency::kEventualReadLatest) RequireLatestReads(check);
  } else if (promise == core::Consistency::kLinearizableUntilFailover) {
    const FailoverVerdict failover = CheckLinearizableUntilFailover(history);
    check = failover.check;
    report.metrics["lost_acked_writes"] = static_cast<double>(failover.lost_acked_writes);
    report.metrics["lost_write_keys"] = static_cast<double>(failover.lost_write_keys);
  } else {
    check = workloads::CheckLinearizable(history);
  }
  report.check = workloads::Summarize(check);
  if (!check.ok) outcome.check_details = workloads::FormatCheckResult(check);
  if (options.policy.info->promise == core::Consistency::kEventual)
    ReportWeakerThanLinearizable(history, check, report, outcome);
  report.trace_hash = sim.trace().hash();
  report.events = sim.events();
  report.wall_s = sim_wall_s;
  CheckNoFaultErrors(options, report, outcome);
}

NodeFactory FactoryOf(const SimRunOptions& options) {
  if (options.node_factory != nullptr) return options.node_factory;
  const core::PolicyChoice policy = options.policy;
  return [policy](const core::NodeConfig& config, core::Env& env) { return core::MakeNode(policy, config, env); };
}

}  // namespace

absl::StatusOr<SimRunOutcome> RunSimulation(const SimRunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  const workloads::Scenario& scenario = options.scenario;
  if (absl::Status valid = scenario.Validate(); !valid.ok()) return valid;
  KV_ASSERT(options.policy.info != nullptr);
  const int nodes = NodesOf(options);
  if (absl::Status s = core::CheckClusterSize(*options.policy.info, nodes); !s.ok()) return s;

  // Validate the fault schedule before any fiber starts: an early return leaves none running.
  if (auto checked = ScheduledFaults(scenario, nodes, 0); !checked.ok()) return checked.status();

  SimConfig config = ToSimConfig(scenario.sim, scenario.request_timeout, options.costs);
  config.network.close_reaches_clients = options.close_reaches_clients;
  Simulator sim(config, options.policy.label(), nodes, options.seed, FactoryOf(options));
  if (!options.trace_path.empty()) {
    if (absl::Status s = sim.trace().OpenLog(options.trace_path); !s.ok()) return s;
  }
  sim.CountControlMessages(options.policy.info->control_message);
  if (absl::Status s = sim.Start(); !s.ok()) return s;
  SimRuntime runtime(sim);
  Progress progress(options.progress);
  uint64_t total_ops = 0;
  workloads::DriverOptions driver_options;
  driver_options.seed = options.seed;
  driver_options.on_tick = [&](const workloads::TimelinePoint& p) {
    total_ops += p.ops;
    progress.Tick(p, total_ops);
  };
  workloads::Driver driver(runtime, scenario, driver_options);
  SimRunOutcome outcome;
  // As a benchmark waits for a fresh cluster's health check: the workload (preload included)
  // starts once every node is ready, so raft's first election is not part of what is measured.
  if (absl::Status s = sim.RunUntil([&] { return ClusterReady(sim); }, kReadyDeadline); !s.ok()) {
    outcome.problems.push_back(absl::StrCat("cluster not ready: ", s.message()));
  }
  driver.Start();

  // Faults are scheduled relative to the measured run, which begins after the preload.
  if (absl::Status s = sim.RunUntil([&] { return driver.measured_start() >= 0 || driver.Done(); }); !s.ok()) {
    outcome.problems.push_back(absl::StrCat("preload: ", s.message()));
  }
  const core::Nanos measured_start = driver.measured_start() >= 0 ? driver.measured_start() : sim.now();
  // Which node leads as the measured run starts: with clients assigned to nodes in turn, it says
  // which clients' requests take a forwarding hop (bench/sim_vs_real.py places the real leader so).
  const core::NodeId leader_at_start = CurrentLeader(sim);
  absl::StatusOr<std::vector<FaultAction>> schedule = ScheduledFaults(scenario, nodes, measured_start);
  if (!schedule.ok()) return schedule.status();
  FaultInjector injector(sim, options.faults, *std::move(schedule), RandomFaultParams{}, MaxFaulty(options, nodes));
  injector.Start(measured_start, kDefaultVirtualTimeLimit);
  if (absl::Status s = sim.RunUntil([&] { return driver.Done(); }); !s.ok()) {
    outcome.problems.push_back(absl::StrCat("workload: ", s.message()));
  }
  // Faults stop; the cluster must recover, make progress, still hold every acknowledged write and
  // converge.
  const core::Nanos workload_end = sim.now();
  injector.Quiesce();
  workloads::DriverResult result = driver.Done() ? driver.Finish() : workloads::DriverResult{};
  const bool served = VerifyAfterHeal(sim, runtime, injector, options, nodes, result.history, outcome);
  const FigureCut cut{sim.peer_messages(), sim.control_messages(), result.history.size()};
  if (served && ChecksEventually(options)) {
    ReadFinalValues(sim, runtime, options.scenario.clients, result.history, outcome);
  }

  // Wall time of the simulation itself; the consistency check below is not simulator speed.
  const double sim_wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  FillReport(sim, injector, options, nodes, MeasuredSpan{measured_start, workload_end}, cut, sim_wall_s, result.history,
             result.report, outcome);
  result.report.metrics["leader_at_start"] = static_cast<double>(leader_at_start);
  outcome.report = std::move(result.report);
  outcome.history = std::move(result.history);
  return outcome;
}

}  // namespace kvlab::sim
