#include "sim/faults.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::sim {
namespace {

struct KindName {
  FaultKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {FaultKind::kCrash, "crash"},
    {FaultKind::kTornCrash, "torn_crash"},
    {FaultKind::kRestart, "restart"},
    {FaultKind::kPause, "pause"},
    {FaultKind::kResume, "resume"},
    {FaultKind::kIsolate, "partition"},
    {FaultKind::kBlockLink, "block"},
    {FaultKind::kHeal, "heal"},
    {FaultKind::kBitFlip, "bitflip"},
    {FaultKind::kClockJump, "clock"},
    {FaultKind::kLossy, "lossy"},
    {FaultKind::kCalm, "calm"},
    {FaultKind::kCrashLeader, "crash_leader"},
    {FaultKind::kRestartAll, "restart_all"},
    {FaultKind::kHold, "hold"},
    {FaultKind::kRelease, "release"},
    {FaultKind::kIoError, "io_error"},
};

// Faults that act on one node (`node` must name a member); the others act on the whole network.
bool NeedsNode(FaultKind kind) {
  return kind != FaultKind::kHeal && kind != FaultKind::kLossy && kind != FaultKind::kCalm;
}

bool IsNetworkFault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kIsolate:
    case FaultKind::kBlockLink:
    case FaultKind::kHold:
    case FaultKind::kRelease:
    case FaultKind::kHeal:
    case FaultKind::kLossy:
    case FaultKind::kCalm: return true;
    default: return false;
  }
}

struct ModeName {
  FaultMode mode;
  const char* name;
};
constexpr ModeName kModeNames[] = {
    {FaultMode::kNone, "none"},     {FaultMode::kCrash, "crash"}, {FaultMode::kPartition, "partition"},
    {FaultMode::kDisk, "disk"},     {FaultMode::kClock, "clock"}, {FaultMode::kNetwork, "network"},
    {FaultMode::kRandom, "random"},
};

// A fault with nothing to do: the reason goes to the record's detail (a scheduled fault's skip).
bool Nothing(FaultRecord& record, const char* why) {
  record.detail = why;
  return false;
}

}  // namespace

core::NodeId CurrentLeader(Simulator& sim) {
  core::NodeId leader = core::kNoNode;
  uint64_t best_term = 0;
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim.node_count()); ++id) {
    core::Node* node = sim.node(id).node();
    if (node == nullptr) continue;
    const core::NodeStatus status = node->Status();
    if (status.leads && (leader == core::kNoNode || status.term > best_term)) {
      leader = id;
      best_term = status.term;
    }
  }
  return leader;
}

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

absl::StatusOr<FaultKind> ParseFaultKind(std::string_view name) {
  std::string known;
  for (const auto& k : kKindNames) {
    if (name == k.name) return k.kind;
    absl::StrAppend(&known, known.empty() ? "" : ", ", k.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown fault kind '", std::string(name), "' (known: ", known, ")"));
}

absl::StatusOr<FaultMode> ParseFaultMode(std::string_view name) {
  std::string known;
  for (const auto& m : kModeNames) {
    if (name == m.name) return m.mode;
    absl::StrAppend(&known, known.empty() ? "" : "|", m.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --faults mode '", std::string(name), "' (known: ", known, ")"));
}

std::string_view FaultModeName(FaultMode mode) {
  for (const auto& m : kModeNames) {
    if (m.mode == mode) return m.name;
  }
  return "?";
}

FaultInjector::FaultInjector(Simulator& sim, FaultMode mode, std::vector<FaultAction> schedule,
                             RandomFaultParams params, int max_faulty)
    : sim_(sim),
      mode_(mode),
      actions_(std::move(schedule)),
      scheduled_count_(actions_.size()),
      fired_(scheduled_count_, false),
      params_(params),
      calm_network_(sim.config().network) {
  const int minority = (sim.node_count() - 1) / 2;
  corruption_budget_ = std::max(1, max_faulty >= 0 ? max_faulty : minority);
  KV_ASSERT(max_faulty < sim.node_count());
  sim_.SetFaultHandler([this](uint64_t arg) { OnEvent(arg); });
}

bool FaultInjector::WithinCorruptionBudget(core::NodeId node) {
  if (std::find(corrupted_.begin(), corrupted_.end(), node) != corrupted_.end()) return true;
  if (corrupted_.size() < static_cast<size_t>(corruption_budget_)) {
    corrupted_.push_back(node);
    return true;
  }
  records_.push_back(FaultRecord{sim_.now(), "skipped", node,
                                 absl::StrCat("bitflip over the budget of ", corruption_budget_, " corrupted node",
                                              corruption_budget_ == 1 ? "" : "s")});
  sim_.trace().Record("fault_skipped", sim_.now(), {static_cast<uint64_t>(FaultKind::kBitFlip), node});
  return false;
}

void FaultInjector::Restart(core::NodeId node, FaultRecord& record) {
  absl::Status booted = sim_.RestartNode(node);
  if (booted.ok()) {
    refusals_.erase(node);
    return;
  }
  record.detail = std::string(booted.message());
  refusals_[node] = booted;
}

void FaultInjector::Start(core::Nanos start, core::Nanos stop) {
  stop_ = stop;
  for (size_t i = 0; i < actions_.size(); ++i) {
    sim_.Schedule(EventKind::kFault, std::max(actions_[i].at, sim_.now()), 0, 0, i);
  }
  if (mode_ != FaultMode::kNone) sim_.Schedule(EventKind::kFault, std::max(start, sim_.now()), 0, 0, kRandomFaultTick);
}

void FaultInjector::ScheduleAction(FaultAction action) {
  actions_.push_back(action);
  sim_.Schedule(EventKind::kFault, action.at, 0, 0, actions_.size() - 1);
}

void FaultInjector::OnEvent(uint64_t arg) {
  if (quiesced_) return;
  if (arg == kRandomFaultTick) {
    if (sim_.now() >= stop_) return;
    DrawRandomFault();
    core::Rng& rng = sim_.fault_rng();
    sim_.Schedule(EventKind::kFault, sim_.now() + rng.UniformRange(params_.min_gap_ns, params_.max_gap_ns), 0, 0,
                  kRandomFaultTick);
    return;
  }
  KV_ASSERT(arg < actions_.size());
  const bool scheduled = arg < scheduled_count_;
  if (scheduled) fired_[arg] = true;
  Apply(actions_[arg], scheduled);
}

FaultKind FaultInjector::DrawKind() {
  core::Rng& rng = sim_.fault_rng();
  switch (mode_) {
    case FaultMode::kCrash: return FaultKind::kCrash;
    case FaultMode::kPartition: {
      constexpr FaultKind kNet[] = {FaultKind::kIsolate, FaultKind::kBlockLink, FaultKind::kHold};
      return kNet[rng.Uniform(3)];
    }
    case FaultMode::kDisk: {
      const uint64_t dice = rng.Uniform(5);
      return dice == 0 ? FaultKind::kBitFlip : dice == 1 ? FaultKind::kIoError : FaultKind::kTornCrash;
    }
    case FaultMode::kClock: return FaultKind::kClockJump;
    case FaultMode::kNetwork: return rng.Uniform(2) == 0 ? FaultKind::kLossy : FaultKind::kHold;
    case FaultMode::kRandom: {
      constexpr FaultKind kAll[] = {FaultKind::kCrash,   FaultKind::kTornCrash, FaultKind::kPause,
                                    FaultKind::kIsolate, FaultKind::kBlockLink, FaultKind::kClockJump,
                                    FaultKind::kLossy,   FaultKind::kCrash,     FaultKind::kIsolate,
                                    FaultKind::kHold,    FaultKind::kHold,      FaultKind::kIoError};
      return kAll[rng.Uniform(sizeof(kAll) / sizeof(kAll[0]))];
    }
    case FaultMode::kNone: break;
  }
  KV_ASSERT(false);
  return FaultKind::kCrash;
}

// Draws one fault and, where it has one, its undoing. The number of draws is fixed per kind so
// that the schedule depends on the seed and the cluster size only.
void FaultInjector::DrawRandomFault() {
  core::Rng& rng = sim_.fault_rng();
  const int n = sim_.node_count();
  FaultAction fault;
  fault.at = sim_.now();
  fault.kind = DrawKind();
  fault.node = static_cast<core::NodeId>(rng.Uniform(n) + 1);
  fault.peer = static_cast<core::NodeId>((fault.node + rng.Uniform(n > 1 ? n - 1 : 1)) % n + 1);
  fault.amount = rng.UniformRange(0, core::Millis(200));  // clock jump
  fault.amount2 = rng.UniformRange(-200, 200);            // drift ppm
  core::Nanos duration = rng.UniformRange(params_.min_duration_ns, params_.max_duration_ns);
  const core::Nanos hold = rng.UniformRange(params_.min_hold_ns, params_.max_hold_ns);
  fault.buffered = rng.Uniform(2) == 0;  // partitions: TCP-like (held) or dropping.
  const bool hold_every_link = rng.Uniform(2) == 0;
  if (fault.kind == FaultKind::kLossy) fault.amount = params_.lossy_ppm;
  if (fault.kind == FaultKind::kHold) {
    fault.amount = duration = hold;
    if (hold_every_link) fault.peer = 0;
  }
  if (fault.kind == FaultKind::kIoError) fault.amount %= 2;  // writes or syncs, from the same draw.
  if ((fault.kind == FaultKind::kBlockLink || fault.kind == FaultKind::kHold) && n == 1) fault.kind = FaultKind::kPause;
  Apply(fault);

  FaultAction undo = fault;
  undo.at = sim_.now() + duration;
  switch (fault.kind) {
    case FaultKind::kCrash:
    case FaultKind::kTornCrash:
    case FaultKind::kBitFlip:  // a flipped bit is found by the recovery that follows a crash.
    case FaultKind::kIoError:  // the failing disk is replaced: crash, then restart (see Apply).
      undo.kind = FaultKind::kRestart;
      break;
    case FaultKind::kPause: undo.kind = FaultKind::kResume; break;
    case FaultKind::kIsolate:
    case FaultKind::kBlockLink: undo.kind = FaultKind::kHeal; break;
    case FaultKind::kLossy: undo.kind = FaultKind::kCalm; break;
    case FaultKind::kHold: undo.kind = FaultKind::kRelease; break;
    default: return;
  }
  ScheduleAction(undo);
}

// Turns an action into one on a known node: restart_all restarts each crashed node (and returns
// nothing more to do), crash_leader names the leader now, a fault of the whole network (heal,
// lossy, calm) needs no node, and a bit flip over the corruption budget is skipped (recorded).
std::optional<FaultAction> FaultInjector::Resolve(const FaultAction& action, std::string* why) {
  FaultAction a = action;
  const core::NodeId n = static_cast<core::NodeId>(sim_.node_count());
  if (a.kind == FaultKind::kRestartAll) {
    bool any = false;
    for (core::NodeId id = 1; id <= n; ++id) {
      if (sim_.node(id).up()) continue;
      any = true;
      Apply(FaultAction{a.at, FaultKind::kRestart, id, 0, 0, 0, false});
    }
    if (!any) *why = "no node is down";
    return std::nullopt;
  }
  if (a.kind == FaultKind::kCrashLeader) {
    const core::NodeId leader = CurrentLeader(sim_);
    if (leader == core::kNoNode) {
      *why = "no node leads now (a leaderless policy, or no leader elected yet)";
      return std::nullopt;
    }
    a.kind = FaultKind::kCrash;
    a.node = leader;
  }
  if (NeedsNode(a.kind) && (a.node < 1 || a.node > n)) {
    *why = absl::StrCat("node ", a.node, " is not in the cluster of ", n);
    return std::nullopt;
  }
  if (a.kind == FaultKind::kBitFlip && sim_.node(a.node).up() && !WithinCorruptionBudget(a.node)) return std::nullopt;
  return a;
}

void FaultInjector::RecordSkip(const FaultAction& action, const std::string& why) {
  records_.push_back(FaultRecord{sim_.now(), "skipped", action.node,
                                 absl::StrCat(std::string(FaultKindName(action.kind)), ": ", why)});
}

// Process, disk and clock faults of one node. False, with the reason in `record.detail`, when there
// was nothing to do (e.g. crashing a node that is down).
bool FaultInjector::ApplyNodeFault(const FaultAction& a, FaultRecord& record) {
  SimNode& node = sim_.node(a.node);
  switch (a.kind) {
    case FaultKind::kCrash:
    case FaultKind::kTornCrash:
      if (!node.up()) return Nothing(record, "the node is already down");
      if (node.node() != nullptr && node.node()->Status().leads) {
        const core::NodeStatus s = node.node()->Status();
        record.lag_at_kill = static_cast<int64_t>(s.applied_index) - static_cast<int64_t>(s.commit_index);
      }
      sim_.CrashNode(a.node, a.kind == FaultKind::kTornCrash,
                     a.process_exit ? Simulator::CrashKind::kProcessExit : Simulator::CrashKind::kDrawn);
      return true;
    case FaultKind::kBitFlip:
      if (!node.up()) return Nothing(record, "the node is down");
      sim_.FlipDiskBit(a.node);
      sim_.CrashNode(a.node, false);
      return true;
    case FaultKind::kRestart:
      // A node still up on a failing disk is taken down first: restarting is its repair.
      if (node.up() && node.sim_disk().injecting_errors()) sim_.CrashNode(a.node, false);
      if (node.up()) return Nothing(record, "the node is up");
      Restart(a.node, record);
      return true;
    case FaultKind::kIoError:
      if (!node.up()) return Nothing(record, "the node is down");
      sim_.InjectIoError(a.node, a.amount != 0);
      record.detail = a.amount != 0 ? "syncs" : "writes";
      return true;
    case FaultKind::kPause:
      if (!node.up()) return Nothing(record, "the node is down");
      if (node.paused()) return Nothing(record, "the node is already paused");
      sim_.PauseNode(a.node);
      return true;
    case FaultKind::kResume:
      if (!node.paused()) return Nothing(record, "the node is not paused");
      sim_.ResumeNode(a.node);
      return true;
    case FaultKind::kClockJump:
      node.JumpClock(a.amount, a.amount2);
      record.detail = absl::StrCat("+", a.amount / core::kNanosPerMicro, "us drift ", a.amount2, "ppm");
      return true;
    default: KV_ASSERT(false);  // network faults go to ApplyNetworkFault.
  }
  return false;
}

bool FaultInjector::ApplyNetworkFault(const FaultAction& a, FaultRecord& record) {
  switch (a.kind) {
    case FaultKind::kIsolate:
      sim_.IsolateNode(a.node, a.buffered);
      if (a.buffered) record.detail = "buffered";
      return true;
    case FaultKind::kBlockLink:
      if (a.peer == a.node || a.peer == 0) return Nothing(record, "a link needs a peer other than the node");
      sim_.BlockLink(a.node, a.peer, a.buffered);
      record.detail = absl::StrCat("to ", a.peer, a.buffered ? " buffered" : "");
      return true;
    case FaultKind::kHold:
    case FaultKind::kRelease:
      if (a.peer == a.node) return Nothing(record, "a link needs a peer other than the node");
      HoldOrRelease(a.node, a.peer, a.kind == FaultKind::kHold);
      record.detail = a.peer == 0 ? "all links" : absl::StrCat("to ", a.peer);
      if (a.kind == FaultKind::kHold) absl::StrAppend(&record.detail, " for ", a.amount / core::kNanosPerMilli, "ms");
      return true;
    case FaultKind::kHeal: sim_.HealNetwork(); return true;
    case FaultKind::kLossy: {
      NetworkModel& m = sim_.network().model();
      m.loss_ppm = m.duplicate_ppm = m.reorder_ppm = static_cast<uint32_t>(a.amount);
      return true;
    }
    case FaultKind::kCalm: sim_.network().model() = calm_network_; return true;
    default: KV_ASSERT(false);  // node faults go to ApplyNodeFault.
  }
  return false;
}

void FaultInjector::Apply(const FaultAction& action, bool scheduled) {
  std::string why;
  const std::optional<FaultAction> a = Resolve(action, &why);
  if (!a.has_value()) {
    if (scheduled && !why.empty()) RecordSkip(action, why);
    return;
  }
  FaultRecord record{sim_.now(), std::string(FaultKindName(a->kind)), a->node, ""};
  const bool applied = IsNetworkFault(a->kind) ? ApplyNetworkFault(*a, record) : ApplyNodeFault(*a, record);
  if (!applied) {
    if (scheduled) RecordSkip(*a, record.detail);
    return;
  }
  sim_.trace().Record("fault", sim_.now(), {static_cast<uint64_t>(a->kind), a->node});
  records_.push_back(std::move(record));
}

// A hold buffers node -> peer, or with peer 0 every link of node both ways; a release reopens the
// same links (whatever blocks them by then) and the simulator delivers what they held.
void FaultInjector::HoldOrRelease(core::NodeId node, core::NodeId peer, bool hold) {
  for (core::NodeId other = 1; other <= static_cast<core::NodeId>(sim_.node_count()); ++other) {
    if (other == node || (peer != 0 && other != peer)) continue;
    if (hold) {
      sim_.BlockLink(node, other, true);
      if (peer == 0) sim_.BlockLink(other, node, true);
    } else {
      sim_.OpenLink(node, other);
      if (peer == 0) sim_.OpenLink(other, node);
    }
  }
}

void FaultInjector::Quiesce() {
  quiesced_ = true;
  // A hold's release is the hold's own undoing, which the quiesce does anyway.
  for (size_t i = 0; i < scheduled_count_; ++i) {
    if (!fired_[i] && actions_[i].kind != FaultKind::kRelease) {
      RecordSkip(actions_[i], absl::StrCat("due at ", actions_[i].at / core::kNanosPerMilli,
                                           " ms of virtual time, after the workload ended"));
    }
  }
  sim_.HealNetwork();
  sim_.network().model() = calm_network_;
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim_.node_count()); ++id) {
    SimNode& node = sim_.node(id);
    if (node.paused()) sim_.ResumeNode(id);
    if (node.up() && node.sim_disk().injecting_errors()) sim_.CrashNode(id, false);
    if (!node.up()) {
      FaultRecord record{sim_.now(), "restart", id, ""};
      Restart(id, record);
      records_.push_back(std::move(record));
    }
  }
  if (!records_.empty()) records_.push_back(FaultRecord{sim_.now(), "quiesce", 0, ""});
}

}  // namespace kvlab::sim
