#include "sim/faults.h"

#include <algorithm>
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
    {FaultKind::kCrash, "crash"},     {FaultKind::kTornCrash, "torn_crash"}, {FaultKind::kRestart, "restart"},
    {FaultKind::kPause, "pause"},     {FaultKind::kResume, "resume"},        {FaultKind::kIsolate, "partition"},
    {FaultKind::kBlockLink, "block"}, {FaultKind::kHeal, "heal"},            {FaultKind::kBitFlip, "bitflip"},
    {FaultKind::kClockJump, "clock"}, {FaultKind::kLossy, "lossy"},          {FaultKind::kCalm, "calm"},
    {FaultKind::kCrashLeader, "crash_leader"}, {FaultKind::kRestartAll, "restart_all"},
    {FaultKind::kIoError, "io_error"},
};

// The node that leads with the highest term (NodeStatus::leads), or kNoNode. A simulator control:
// it reads the policy's typed Status(), which INFO's replication section publishes anyway.
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

struct ModeName {
  FaultMode mode;
  const char* name;
};
constexpr ModeName kModeNames[] = {
    {FaultMode::kNone, "none"},   {FaultMode::kCrash, "crash"},     {FaultMode::kPartition, "partition"},
    {FaultMode::kDisk, "disk"},   {FaultMode::kClock, "clock"},     {FaultMode::kNetwork, "network"},
    {FaultMode::kRandom, "random"},
};

}  // namespace

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
  return absl::InvalidArgumentError(absl::StrCat("unknown --faults mode '", std::string(name), "' (known: ", known, ")"));
}

std::string_view FaultModeName(FaultMode mode) {
  for (const auto& m : kModeNames) {
    if (m.mode == mode) return m.name;
  }
  return "?";
}

FaultInjector::FaultInjector(Simulator& sim, FaultMode mode, std::vector<FaultAction> schedule,
                             RandomFaultParams params)
    : sim_(sim), mode_(mode), actions_(std::move(schedule)), params_(params), calm_network_(sim.config().network) {
  sim_.SetFaultHandler([this](uint64_t arg) { OnEvent(arg); });
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
  Apply(actions_[arg]);
}

FaultKind FaultInjector::DrawKind() {
  core::Rng& rng = sim_.fault_rng();
  switch (mode_) {
    case FaultMode::kCrash: return FaultKind::kCrash;
    case FaultMode::kPartition: return rng.Uniform(2) == 0 ? FaultKind::kIsolate : FaultKind::kBlockLink;
    case FaultMode::kDisk: {
      const uint64_t dice = rng.Uniform(5);
      return dice == 0 ? FaultKind::kBitFlip : dice == 1 ? FaultKind::kIoError : FaultKind::kTornCrash;
    }
    case FaultMode::kClock: return FaultKind::kClockJump;
    case FaultMode::kNetwork: return FaultKind::kLossy;
    case FaultMode::kRandom: {
      constexpr FaultKind kAll[] = {FaultKind::kCrash,     FaultKind::kTornCrash, FaultKind::kPause,
                                    FaultKind::kIsolate,   FaultKind::kBlockLink, FaultKind::kClockJump,
                                    FaultKind::kLossy,     FaultKind::kCrash,     FaultKind::kIsolate,
                                    FaultKind::kIoError};
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
  const core::Nanos duration = rng.UniformRange(params_.min_duration_ns, params_.max_duration_ns);
  if (fault.kind == FaultKind::kLossy) fault.amount = params_.lossy_ppm;
  if (fault.kind == FaultKind::kIoError) fault.amount %= 2;  // writes or syncs, from the same draw.
  if (fault.kind == FaultKind::kBlockLink && n == 1) fault.kind = FaultKind::kPause;
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
    default: return;
  }
  ScheduleAction(undo);
}

void FaultInjector::Apply(const FaultAction& action) {
  FaultAction a = action;
  if (a.kind == FaultKind::kRestartAll) {
    for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim_.node_count()); ++id) {
      if (!sim_.node(id).up()) Apply(FaultAction{a.at, FaultKind::kRestart, id, 0, 0, 0});
    }
    return;
  }
  if (a.kind == FaultKind::kCrashLeader) {
    const core::NodeId leader = CurrentLeader(sim_);
    if (leader == core::kNoNode) return;  // nobody leads right now: nothing to crash.
    a.kind = FaultKind::kCrash;
    a.node = leader;
  }
  if (a.node < 1 || a.node > static_cast<core::NodeId>(sim_.node_count())) return;
  if (a.kind == FaultKind::kBitFlip) {
    const size_t budget = std::max(1, (sim_.node_count() - 1) / 2);
    const bool already = std::find(corrupted_.begin(), corrupted_.end(), a.node) != corrupted_.end();
    if (!already && corrupted_.size() >= budget) {
      a.kind = FaultKind::kTornCrash;
    } else if (!already) {
      corrupted_.push_back(a.node);
    }
  }
  FaultRecord record{sim_.now(), std::string(FaultKindName(a.kind)), a.node, ""};
  SimNode& node = sim_.node(a.node);
  switch (a.kind) {
    case FaultKind::kCrash:
    case FaultKind::kTornCrash:
      if (!node.up()) return;
      sim_.CrashNode(a.node, a.kind == FaultKind::kTornCrash);
      break;
    case FaultKind::kBitFlip:
      if (!node.up()) return;
      sim_.FlipDiskBit(a.node);
      sim_.CrashNode(a.node, false);
      break;
    case FaultKind::kRestart: {
      // A node still up on a failing disk is taken down first: restarting is its repair.
      if (node.up() && node.sim_disk().injecting_errors()) sim_.CrashNode(a.node, false);
      if (node.up()) return;
      absl::Status booted = sim_.RestartNode(a.node);
      if (!booted.ok()) record.detail = std::string(booted.message());
      break;
    }
    case FaultKind::kPause:
      if (!node.up() || node.paused()) return;
      sim_.PauseNode(a.node);
      break;
    case FaultKind::kResume:
      if (!node.paused()) return;
      sim_.ResumeNode(a.node);
      break;
    case FaultKind::kIsolate: sim_.IsolateNode(a.node); break;
    case FaultKind::kBlockLink:
      if (a.peer == a.node || a.peer == 0) return;
      sim_.BlockLink(a.node, a.peer);
      record.detail = absl::StrCat("to ", a.peer);
      break;
    case FaultKind::kHeal: sim_.HealNetwork(); break;
    case FaultKind::kClockJump:
      node.JumpClock(a.amount, a.amount2);
      record.detail = absl::StrCat("+", a.amount / core::kNanosPerMicro, "us drift ", a.amount2, "ppm");
      break;
    case FaultKind::kLossy: {
      NetworkModel& m = sim_.network().model();
      m.loss_ppm = m.duplicate_ppm = m.reorder_ppm = static_cast<uint32_t>(a.amount);
      break;
    }
    case FaultKind::kCalm: sim_.network().model() = calm_network_; break;
    case FaultKind::kIoError:
      if (!node.up()) return;
      sim_.InjectIoError(a.node, a.amount != 0);
      record.detail = a.amount != 0 ? "syncs" : "writes";
      break;
    case FaultKind::kCrashLeader:
    case FaultKind::kRestartAll: KV_ASSERT(false);  // resolved above.
  }
  sim_.trace().Record("fault", sim_.now(), {static_cast<uint64_t>(a.kind), a.node});
  records_.push_back(std::move(record));
}

void FaultInjector::Quiesce() {
  quiesced_ = true;
  sim_.HealNetwork();
  sim_.network().model() = calm_network_;
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim_.node_count()); ++id) {
    SimNode& node = sim_.node(id);
    if (node.paused()) sim_.ResumeNode(id);
    if (node.up() && node.sim_disk().injecting_errors()) sim_.CrashNode(id, false);
    if (!node.up()) {
      absl::Status booted = sim_.RestartNode(id);
      records_.push_back(FaultRecord{sim_.now(), "restart", id, booted.ok() ? "" : std::string(booted.message())});
    }
  }
  if (!records_.empty()) records_.push_back(FaultRecord{sim_.now(), "quiesce", 0, ""});
}

}  // namespace kvlab::sim
