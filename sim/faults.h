// Fault injection for a simulated run: a fixed schedule (from the scenario) and/or a random fault
// process (`--faults crash|partition|disk|clock|network|random`; disk draws bit flips, torn crashes
// and I/O errors). Every random choice comes from the
// simulator's fault stream and depends only on the seed and the cluster size, never on the
// policy: two policies run with the same seed face the same faults at the same times.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "core/types.h"
#include "sim/simulator.h"

namespace kvlab::sim {

enum class FaultKind : uint8_t {
  kCrash,      // process dies; memory lost, synced disk kept.
  kTornCrash,  // crash that also tears the last unsynced write.
  kRestart,    // boot from disk.
  kPause,      // process stops serving (GC pause, SIGSTOP); inputs queue.
  kResume,
  kIsolate,      // symmetric partition: node cut off from every other node (`buffered`: held).
  kBlockLink,    // one-way partition: node -> peer dropped (`buffered`: held until healed).
  kHeal,         // every partition healed; what buffered links held arrives late.
  kHold,         // node -> peer (peer 0: every link of node, both ways) held for `amount` ns,
                 // then released: the held messages arrive late and out of order.
  kRelease,      // the links of a hold reopen (scheduled by the hold itself).
  kBitFlip,      // one bit of the node's synced disk flipped.
  kClockJump,    // node clock jumps forward by `amount` ns and drifts by `amount2` ppm.
  kLossy,        // network loss/duplication/reordering raised to `amount` ppm each.
  kCalm,         // network fault rates restored.
  kCrashLeader,  // crash whichever node is the leader now (the highest-term node reporting role:leader).
  kRestartAll,   // boot every crashed node.
  kIoError,      // the node's disk fails writes (amount 0) or syncs (amount 1) with EIO until the
                 // node is crashed and restarted (its undo). Raft steps down and stops acking;
                 // single answers the writes of the failed batch UNKNOWN and refuses more.
};

std::string_view FaultKindName(FaultKind kind);
absl::StatusOr<FaultKind> ParseFaultKind(std::string_view name);

// The node that leads with the highest term (NodeStatus::leads), or kNoNode. A simulator control:
// it reads the policy's typed Status(), which INFO's replication section publishes anyway.
core::NodeId CurrentLeader(Simulator& sim);

struct FaultAction {
  core::Nanos at = 0;
  FaultKind kind = FaultKind::kCrash;
  core::NodeId node = 1;
  core::NodeId peer = 0;
  int64_t amount = 0;
  int64_t amount2 = 0;
  bool buffered = false;      // partitions: hold messages until healed instead of dropping them.
  bool process_exit = false;  // crashes: the process exits (its connections close), never the machine.
};

enum class FaultMode : uint8_t { kNone, kCrash, kPartition, kDisk, kClock, kNetwork, kRandom };
absl::StatusOr<FaultMode> ParseFaultMode(std::string_view name);
std::string_view FaultModeName(FaultMode mode);

struct FaultRecord {
  core::Nanos at = 0;
  std::string kind;
  core::NodeId node = 0;
  std::string detail;  // e.g. a recovery error after a restart.
  // A crash of the node that led: its applied index minus its commit index then (for pb: the
  // writes not yet at every member, which a failover may lose); -1 otherwise.
  int64_t lag_at_kill = -1;
};

// Random fault process parameters: faults arrive every [min_gap, max_gap]; each lasts
// [min_duration, max_duration] before it is undone (restart, resume, heal, calm).
struct RandomFaultParams {
  core::Nanos min_gap_ns = core::Millis(100);
  core::Nanos max_gap_ns = core::Millis(600);
  core::Nanos min_duration_ns = core::Millis(50);
  core::Nanos max_duration_ns = core::Millis(500);
  int64_t lossy_ppm = 50'000;
  // Holds last long enough to span elections: a held message arrives after a leadership change.
  core::Nanos min_hold_ns = core::Millis(200);
  core::Nanos max_hold_ns = core::Seconds(3);
};

class FaultInjector {
 public:
  // `max_faulty`: how many nodes the policy claims to survive losing (core::PolicyInfo), the
  // budget of nodes whose synced data may be corrupted; negative: a minority of the cluster.
  FaultInjector(Simulator& sim, FaultMode mode, std::vector<FaultAction> schedule, RandomFaultParams params = {},
                int max_faulty = -1);

  // Schedules the first events. Random faults start at `start` and stop being drawn at `stop`.
  void Start(core::Nanos start, core::Nanos stop);
  // Ends every fault now: heals partitions, calms the network, resumes paused nodes and restarts
  // crashed ones (a restart that fails is recorded). Scheduled faults not yet due are recorded as
  // skipped (they come after the workload ended).
  void Quiesce();

  // What happened, in order. A scheduled fault (from the scenario) that could not apply is never
  // dropped silently: it is a record of kind "skipped" whose detail names the fault and the reason
  // (a crash of a node already down, a crash_leader while nobody leads, a fault due after the
  // workload ended, ...). Random faults that find nothing to do are not recorded.
  const std::vector<FaultRecord>& records() const { return records_; }
  // Nodes whose synced disk had a bit flipped, in order, and the fault budget for them.
  const std::vector<core::NodeId>& corrupted() const { return corrupted_; }
  int corruption_budget() const { return corruption_budget_; }
  // Nodes that failed to boot at their last restart, with the error (DataLoss for corruption).
  const absl::btree_map<core::NodeId, absl::Status>& refusals() const { return refusals_; }

 private:
  void OnEvent(uint64_t arg);
  // `scheduled`: the action comes from the scenario's schedule, so a skip is recorded.
  void Apply(const FaultAction& action, bool scheduled = false);
  // The action on a known node, or nullopt: nothing more to do (restart_all) or, with `*why` set,
  // it cannot apply.
  std::optional<FaultAction> Resolve(const FaultAction& action, std::string* why);
  void RecordSkip(const FaultAction& action, const std::string& why);
  bool ApplyNodeFault(const FaultAction& a, FaultRecord& record);
  bool ApplyNetworkFault(const FaultAction& a, FaultRecord& record);
  void DrawRandomFault();
  FaultKind DrawKind();
  void ScheduleAction(FaultAction action);
  void HoldOrRelease(core::NodeId node, core::NodeId peer, bool hold);
  // False (and the skip recorded) when a bit flip on `node` would exceed the corruption budget.
  bool WithinCorruptionBudget(core::NodeId node);
  void Restart(core::NodeId node, FaultRecord& record);

  Simulator& sim_;
  FaultMode mode_;
  std::vector<FaultAction> actions_;  // the schedule, then random faults and their undoing.
  size_t scheduled_count_ = 0;        // actions_[0, scheduled_count_) are the schedule.
  std::vector<bool> fired_;           // per scheduled action: its time came before the quiesce.
  RandomFaultParams params_;
  NetworkModel calm_network_;
  core::Nanos stop_ = 0;
  bool quiesced_ = false;
  std::vector<FaultRecord> records_;
  // Nodes whose synced disk got a flipped bit. A node that finds corruption at recovery refuses
  // to start (as etcd does: an operator replaces it), so at most the policy's max_faulty nodes
  // are corrupted; further flips are skipped (recorded, never turned into another fault, so the
  // draws stay the same whatever the policy). A policy that survives no faulty node (one copy of
  // the data) still gets one: detecting it and refusing to start is its correct outcome.
  std::vector<core::NodeId> corrupted_;
  int corruption_budget_ = 1;
  absl::btree_map<core::NodeId, absl::Status> refusals_;
};

inline constexpr uint64_t kRandomFaultTick = UINT64_MAX;

}  // namespace kvlab::sim
