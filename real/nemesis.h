// The nemesis of `kvlab bench --cluster DIR`: the scenario's fault schedule, applied at the
// scenario's times to the processes a `kvlab cluster` launched, through its control channel
// (real/control_command.h). The same TOML schedule runs in the simulator; a fault real processes
// cannot undergo (a disk or clock fault: torn write, bit flip, io_error, clock jump) is refused BY
// NAME before the run, never skipped silently.
//
//   crash N -> kill N          crash_leader -> kill leader     restart N -> restart N
//   restart_all -> restart all  pause/resume N -> pause/resume N (SIGSTOP/SIGCONT)
//   partition nodes=[..] -> cut a b for a in the group, b outside (oneway: a -> b only;
//                           buffered: hold instead of cut)    heal -> heal
//   hold N duration D -> hold N j for every j, then heal N j after D
// Partitions, holds and heals need the cluster's fault proxy (`kvlab cluster --proxy`).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/types.h"
#include "real/control_client.h"
#include "real/real_runtime.h"
#include "workloads/driver.h"
#include "workloads/history.h"
#include "workloads/report.h"
#include "workloads/scenario.h"

namespace kvlab::real {

// After a restart, the node's catch-up is watched this long at most, every kCatchUpPoll.
inline constexpr core::Nanos kMaxCatchUpWait = core::Seconds(20);
inline constexpr core::Nanos kCatchUpPoll = core::Millis(20);
// pb and chain: the nodes' views are read this often during the run (a blocking `status` call on
// the run's loop: a few milliseconds each).
inline constexpr core::Nanos kViewPoll = core::Millis(100);

struct NemesisStep {
  core::Nanos at = 0;  // since the measured start.
  std::string kind;    // the scenario's fault kind, for the report.
  core::NodeId node = core::kNoNode;
  std::vector<std::string> commands;
};

// kInvalidArgument naming the first fault that cannot be applied: "fault 'clock_skew' at 10s:
// real processes cannot have their clock jumped (kvlab sim can)".
absl::StatusOr<std::vector<NemesisStep>> PlanNemesis(const std::vector<workloads::FaultSpec>& faults, int nodes,
                                                     bool proxy);

// One node as the control channel's `status` describes it.
struct ClusterNode {
  int id = 0;
  std::string state;  // running | paused | killed | exited
  std::string role;  // the policy's role (leader, follower, primary, replica, ...); "unreachable" if it did not answer.
  int port = 0;
  int64_t applied = -1;
  int64_t commit = -1;
  uint64_t term = 0;  // raft's term, pb's and chain's epoch.
  std::string view;   // pb, chain: "EPOCH:ID[*],..." (core/view/view.h); empty otherwise.
};
absl::StatusOr<std::vector<ClusterNode>> ParseStatus(const std::string& reply);

// A view the view service installed (pb, chain), as the nodes reported it: the first one seen, and
// after it each one with a higher epoch, or the same epoch with more members synced (a restarted
// member's state transfer done).
struct ViewChange {
  core::Nanos at = 0;  // runtime time it was first seen (within kViewPoll of its installation).
  uint64_t epoch = 0;
  int synced = 0;          // members marked '*'.
  std::string view;        // "EPOCH:ID[*],...": the members in order, '*' once synced.
  core::NodeId first = 0;  // the primary or the head: the view's first member.
};
// The view "4:2*,3" -> {epoch 4, synced 1, first 2}; nullopt when it does not parse.
std::optional<ViewChange> ParseView(const std::string& view);

struct AppliedFault {
  core::Nanos at = 0;  // runtime time it was applied.
  std::string kind;
  core::NodeId node = core::kNoNode;
  std::string reply;
};

class Nemesis {
 public:
  Nemesis(RealRuntime& rt, ControlClient& control, std::vector<NemesisStep> steps)
      : rt_(rt), control_(control), steps_(std::move(steps)) {}

  // Spawns the fiber that applies the steps once the driver's measured run has begun. It stops at
  // the end of the run (later steps are not applied: as in the simulator). With a policy that has
  // views (the nodes' status shows one), another fiber records the views until the run ends.
  void Start(const workloads::Driver& driver);
  // After the workload: every node resumed and restarted, every link healed (with a proxy), so
  // the read-back finds the cluster whole. Not from a fiber.
  void Quiesce(bool proxy);

  const std::vector<AppliedFault>& applied() const { return applied_; }
  const std::vector<std::string>& problems() const { return problems_; }
  // Faults that had nothing to act on (crash_leader while nobody leads, as the simulator skips it).
  const std::vector<std::string>& notes() const { return notes_; }
  // Seconds from each restart until the node applied what the others had then, by node.
  const std::map<core::NodeId, double>& catch_up_s() const { return catch_up_s_; }
  // The views seen during the run (empty for policies without views).
  const std::vector<ViewChange>& views() const { return views_; }

 private:
  void Apply(const NemesisStep& step);
  void WatchCatchUp(core::NodeId node, core::Nanos restarted_at);
  void WatchViews(const workloads::Driver& driver);
  // False when no running node reports a view (a policy without views).
  bool RecordView();

  RealRuntime& rt_;
  ControlClient& control_;
  std::vector<NemesisStep> steps_;
  std::vector<AppliedFault> applied_;
  std::vector<std::string> problems_;
  std::vector<std::string> notes_;
  std::map<core::NodeId, double> catch_up_s_;
  std::vector<ViewChange> views_;
};

// The failure scenario's figures (report.metrics): throughput before / during / after the faults
// (successes per second; during: from the first to the last fault), unavailability_s (from each
// kill to the first success of a request sent after it, the worst), recovery_95_s (from the first
// kill until a timeline window reaches 95% of the throughput before) and catch_up_s. With views:
// view_changes (views seen after the first), view_change_s (from the first kill until a view of a
// higher epoch was seen), and each new view among report.faults as kind "view_change"
// with its primary or head as the node.
void AddNemesisMetrics(const Nemesis& nemesis, core::Nanos measured_start, core::Nanos interval,
                       const std::vector<workloads::HistoryOp>& history, workloads::RunReport& report);

}  // namespace kvlab::real
