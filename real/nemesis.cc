#include "real/nemesis.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kvlab::real {
namespace {

using workloads::FaultSpec;

// What the launcher answers `kill leader` when no running node leads (real/cluster_launcher.cc).
constexpr char kNoLeader[] = "no running node reports that it leads now";

absl::Status Refuse(const FaultSpec& f, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("fault '", f.kind, "' at ", workloads::FormatDuration(f.at), ": ", why));
}

// Why a fault kind cannot be done to real processes, or empty if it can.
std::string Impossible(const std::string& kind) {
  if (kind == "disk_fail" || kind == "disk_heal" || kind == "io_error") {
    return "real processes cannot have their disk fail on cue (no fault-injecting filesystem here; kvlab sim can)";
  }
  if (kind == "clock_skew") return "real processes cannot have their clock jumped (kvlab sim can)";
  return "";
}

NemesisStep Step(const FaultSpec& f, std::vector<std::string> commands) {
  return NemesisStep{.at = f.at, .kind = f.kind, .node = f.node, .commands = std::move(commands)};
}

absl::StatusOr<std::vector<NemesisStep>> StepsOf(const FaultSpec& f, int nodes, bool proxy) {
  const std::string n = absl::StrCat(f.node);
  if (f.kind == "crash") return std::vector<NemesisStep>{Step(f, {"kill " + n})};
  if (f.kind == "crash_leader") return std::vector<NemesisStep>{Step(f, {"kill leader"})};
  if (f.kind == "restart") return std::vector<NemesisStep>{Step(f, {"restart " + n})};
  if (f.kind == "restart_all") return std::vector<NemesisStep>{Step(f, {"restart all"})};
  if (f.kind == "pause") return std::vector<NemesisStep>{Step(f, {"pause " + n})};
  if (f.kind == "resume") return std::vector<NemesisStep>{Step(f, {"resume " + n})};
  if (!proxy) return Refuse(f, "network faults need the cluster's fault proxy: start kvlab cluster with --proxy");
  if (f.kind == "heal") return std::vector<NemesisStep>{Step(f, {"heal"})};
  if (f.kind == "partition") {
    const std::set<core::NodeId> group(f.nodes.begin(), f.nodes.end());
    std::vector<std::string> commands;
    for (core::NodeId a : group) {
      if (a < 1 || static_cast<int>(a) > nodes) return Refuse(f, absl::StrCat("node ", a, " is not in the cluster"));
      for (int b = 1; b <= nodes; ++b) {
        if (group.contains(static_cast<core::NodeId>(b))) continue;
        commands.push_back(absl::StrCat(f.buffered ? "hold " : "cut ", a, " ", b, f.one_way ? " oneway" : ""));
      }
    }
    return std::vector<NemesisStep>{Step(f, commands)};
  }
  if (f.kind == "hold") {
    std::vector<std::string> hold, heal;
    for (int j = 1; j <= nodes; ++j) {
      if (j == static_cast<int>(f.node)) continue;
      hold.push_back(absl::StrCat("hold ", f.node, " ", j));
      heal.push_back(absl::StrCat("heal ", f.node, " ", j));
    }
    NemesisStep release = Step(f, heal);
    release.at = f.at + f.duration;
    release.kind = "release";
    return std::vector<NemesisStep>{Step(f, hold), release};
  }
  return Refuse(f, "no real-world equivalent");
}

}  // namespace

absl::StatusOr<std::vector<NemesisStep>> PlanNemesis(const std::vector<FaultSpec>& faults, int nodes, bool proxy) {
  std::vector<NemesisStep> steps;
  for (const FaultSpec& f : faults) {
    if (std::string why = Impossible(f.kind); !why.empty()) return Refuse(f, why);
    if (f.node != core::kNoNode && static_cast<int>(f.node) > nodes) {
      return Refuse(f, absl::StrCat("node ", f.node, " is not in the cluster of ", nodes));
    }
    absl::StatusOr<std::vector<NemesisStep>> more = StepsOf(f, nodes, proxy);
    if (!more.ok()) return more.status();
    steps.insert(steps.end(), more->begin(), more->end());
  }
  std::stable_sort(steps.begin(), steps.end(), [](const NemesisStep& a, const NemesisStep& b) { return a.at < b.at; });
  return steps;
}

absl::StatusOr<std::vector<ClusterNode>> ParseStatus(const std::string& reply) {
  std::vector<ClusterNode> nodes;
  for (absl::string_view part : absl::StrSplit(reply, "; ")) {
    ClusterNode n;
    for (absl::string_view field : absl::StrSplit(part, ' ', absl::SkipEmpty())) {
      const std::pair<std::string, std::string> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
      if (kv.first == "node") (void)absl::SimpleAtoi(kv.second, &n.id);
      if (kv.first == "state") n.state = kv.second;
      if (kv.first == "role") n.role = kv.second;
      if (kv.first == "port") (void)absl::SimpleAtoi(kv.second, &n.port);
      if (kv.first == "applied") (void)absl::SimpleAtoi(kv.second, &n.applied);
      if (kv.first == "commit") (void)absl::SimpleAtoi(kv.second, &n.commit);
      if (kv.first == "term") (void)absl::SimpleAtoi(kv.second, &n.term);
      if (kv.first == "view") n.view = kv.second;
    }
    if (n.id < 1 || n.port < 1) return absl::InvalidArgumentError(absl::StrCat("bad cluster status '", reply, "'"));
    nodes.push_back(n);
  }
  return nodes;
}

std::optional<ViewChange> ParseView(const std::string& view) {
  ViewChange v;
  const size_t colon = view.find(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(view.substr(0, colon), &v.epoch)) return std::nullopt;
  const std::string members = view.substr(colon + 1);
  if (!absl::SimpleAtoi(members.substr(0, members.find_first_of(",*")), &v.first)) v.first = core::kNoNode;
  v.synced = static_cast<int>(std::count(members.begin(), members.end(), '*'));
  v.view = view;
  return v;
}

void Nemesis::Start(const workloads::Driver& driver) {
  WatchViews(driver);
  rt_.Spawn([this, &driver] {
    while (driver.measured_start() < 0 && !driver.Done()) rt_.SleepUntil(rt_.Now() + core::Millis(1));
    const core::Nanos start = driver.measured_start();
    for (const NemesisStep& step : steps_) {
      while (!driver.Done() && rt_.Now() < start + step.at) {
        rt_.SleepUntil(std::min(start + step.at, rt_.Now() + core::Millis(50)));
      }
      if (driver.Done()) return;
      Apply(step);
    }
  });
}

void Nemesis::Apply(const NemesisStep& step) {
  AppliedFault done{.at = rt_.Now(), .kind = step.kind, .node = step.node, .reply = ""};
  for (const std::string& command : step.commands) {
    absl::StatusOr<std::string> reply = control_.Call(command);
    if (!reply.ok() && command == "kill leader" && reply.status().code() == absl::StatusCode::kFailedPrecondition &&
        absl::StrContains(reply.status().message(), kNoLeader)) {
      // As the simulator: nobody leads right now (a leaderless policy), nothing to crash.
      notes_.push_back(absl::StrCat("crash_leader at ", workloads::FormatDuration(step.at), ": ", kNoLeader));
      return;
    }
    if (!reply.ok()) {
      problems_.push_back(absl::StrCat("nemesis: '", command, "' failed: ", reply.status().message()));
      continue;
    }
    absl::StrAppend(&done.reply, done.reply.empty() ? "" : "; ", *reply);
    int id = 0;
    if (absl::StartsWith(*reply, "killed ") && absl::SimpleAtoi(reply->substr(7), &id)) done.node = id;
    if (absl::StartsWith(*reply, "restarted ")) {
      for (absl::string_view n : absl::StrSplit(reply->substr(10), ',')) {
        if (absl::SimpleAtoi(n, &id)) WatchCatchUp(id, done.at);
        if (step.commands.size() == 1 && done.node == core::kNoNode) done.node = id;
      }
    }
  }
  applied_.push_back(std::move(done));
}

// Catch-up: the restarted node's applied position reaches the highest the others had when it was
// restarted (policies without one, e.g. the leaderless ones, report none).
void Nemesis::WatchCatchUp(core::NodeId node, core::Nanos restarted_at) {
  absl::StatusOr<std::vector<ClusterNode>> first = ParseStatus(control_.Call("status").value_or(""));
  if (!first.ok()) return;
  int64_t target = -1;
  for (const ClusterNode& n : *first) {
    if (n.id != static_cast<int>(node) && n.state == "running") target = std::max(target, n.applied);
  }
  if (target < 0) return;
  rt_.Spawn([this, node, restarted_at, target] {
    while (rt_.Now() < restarted_at + kMaxCatchUpWait) {
      absl::StatusOr<std::vector<ClusterNode>> now = ParseStatus(control_.Call("status").value_or(""));
      if (now.ok() && static_cast<size_t>(node) <= now->size() && (*now)[node - 1].applied >= target) {
        catch_up_s_[node] = static_cast<double>(rt_.Now() - restarted_at) / 1e9;
        return;
      }
      rt_.SleepUntil(rt_.Now() + kCatchUpPoll);
    }
    problems_.push_back(absl::StrCat("node ", node, " did not catch up (applied ", target, ") within ",
                                     kMaxCatchUpWait / core::kNanosPerSecond, " s of its restart"));
  });
}

namespace {

// Views are ordered by epoch, then by how many members are synced (within an epoch, members only
// become synced): a node that has not heard of the latest yet never makes the record go back.
bool Later(const ViewChange& a, const ViewChange& b) {
  return a.epoch != b.epoch ? a.epoch > b.epoch : a.synced > b.synced;
}

}  // namespace

bool Nemesis::RecordView() {
  absl::StatusOr<std::vector<ClusterNode>> nodes = ParseStatus(control_.Call("status").value_or(""));
  if (!nodes.ok()) return true;  // the launcher did not answer this time; try again.
  std::optional<ViewChange> newest;
  bool any = false;
  for (const ClusterNode& n : *nodes) {
    if (n.view.empty()) continue;
    any = true;
    std::optional<ViewChange> v = ParseView(n.view);
    if (v && (!newest || Later(*v, *newest))) newest = v;
  }
  if (newest && (views_.empty() || Later(*newest, views_.back()))) {
    newest->at = rt_.Now();
    views_.push_back(*newest);
  }
  return any || !views_.empty();
}

void Nemesis::WatchViews(const workloads::Driver& driver) {
  rt_.Spawn([this, &driver] {
    while (driver.measured_start() < 0 && !driver.Done()) rt_.SleepUntil(rt_.Now() + core::Millis(1));
    while (!driver.Done() && RecordView()) rt_.SleepUntil(rt_.Now() + kViewPoll);
  });
}

void Nemesis::Quiesce(bool proxy) {
  std::vector<std::string> commands = {"resume all", "restart all"};
  if (proxy) commands.push_back("heal");
  for (const std::string& command : commands) {
    absl::StatusOr<std::string> reply = control_.Call(command);
    if (!reply.ok()) problems_.push_back(absl::StrCat("quiesce: '", command, "' failed: ", reply.status().message()));
  }
}

namespace {

// The views seen (see AddNemesisMetrics). Appended to report.faults after the faults themselves.
void AddViewMetrics(const Nemesis& nemesis, core::Nanos measured_start, workloads::RunReport& report) {
  const std::vector<ViewChange>& views = nemesis.views();
  if (views.empty()) return;
  report.metrics["view_changes"] = static_cast<double>(views.size() - 1);
  core::Nanos first_kill = -1;
  for (const AppliedFault& f : nemesis.applied()) {
    if ((f.kind == "crash" || f.kind == "crash_leader") && first_kill < 0) first_kill = f.at;
  }
  uint64_t epoch_at_kill = 0;
  for (const ViewChange& v : views) {
    if (first_kill >= 0 && v.at <= first_kill) epoch_at_kill = v.epoch;
    if (first_kill >= 0 && v.at > first_kill && v.epoch > epoch_at_kill && !report.metrics.contains("view_change_s")) {
      report.metrics["view_change_s"] = static_cast<double>(v.at - first_kill) / 1e9;
    }
  }
  for (size_t i = 1; i < views.size(); ++i) {
    report.faults.push_back({.t_s = static_cast<double>(views[i].at - measured_start) / 1e9,
                             .kind = "view_change",
                             .node = views[i].first});
  }
}

}  // namespace

void AddNemesisMetrics(const Nemesis& nemesis, core::Nanos measured_start, core::Nanos interval,
                       const std::vector<workloads::HistoryOp>& history, workloads::RunReport& report) {
  const std::vector<AppliedFault>& faults = nemesis.applied();
  report.faults.clear();
  for (const AppliedFault& f : faults) {
    report.faults.push_back({.t_s = static_cast<double>(f.at - measured_start) / 1e9, .kind = f.kind, .node = f.node});
  }
  for (const auto& [node, s] : nemesis.catch_up_s()) {
    report.metrics["catch_up_s"] = std::max(report.metrics["catch_up_s"], s);
  }
  AddViewMetrics(nemesis, measured_start, report);
  if (faults.empty()) return;
  const double first_s = static_cast<double>(faults.front().at - measured_start) / 1e9;
  const double last_s = static_cast<double>(faults.back().at - measured_start) / 1e9;
  const double window_s = static_cast<double>(interval) / 1e9;
  double ok[3] = {0, 0, 0}, span[3] = {0, 0, 0};  // before, during, after
  for (const workloads::TimelinePoint& p : report.timeline) {
    const int phase = p.t_s + window_s <= first_s ? 0 : p.t_s < last_s ? 1 : 2;
    ok[phase] += static_cast<double>(p.ops);
    span[phase] += window_s;
  }
  const char* names[3] = {"throughput_before_ops_s", "throughput_during_ops_s", "throughput_after_ops_s"};
  for (int i = 0; i < 3; ++i) {
    if (span[i] > 0) report.metrics[names[i]] = ok[i] / span[i];
  }
  double worst = -1, crash_s = -1;
  for (const AppliedFault& f : faults) {
    if (f.kind != "crash" && f.kind != "crash_leader") continue;
    if (crash_s < 0) crash_s = static_cast<double>(f.at - measured_start) / 1e9;
    core::Nanos first_success = -1;
    for (const workloads::HistoryOp& op : history) {
      if (op.invoke_ns >= f.at && op.result == workloads::OpResult::kOk &&
          (first_success < 0 || op.complete_ns < first_success)) {
        first_success = op.complete_ns;
      }
    }
    if (first_success >= 0) worst = std::max(worst, static_cast<double>(first_success - f.at) / 1e9);
  }
  if (worst >= 0) report.metrics["unavailability_s"] = worst;
  if (crash_s < 0 || span[0] <= 0) return;
  const double target = 0.95 * ok[0] / span[0];
  for (const workloads::TimelinePoint& p : report.timeline) {
    if (p.t_s >= crash_s && static_cast<double>(p.ops) / window_s >= target) {
      report.metrics["recovery_95_s"] = p.t_s + window_s - crash_s;
      break;
    }
  }
}

}  // namespace kvlab::real
