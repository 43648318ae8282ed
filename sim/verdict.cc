#include "sim/verdict.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/kv/kv_state.h"
#include "core/policy/policy_info.h"
#include "workloads/client.h"

namespace kvlab::sim {
namespace {

std::string ProbeKey(core::NodeId node) { return absl::StrCat("kvlab-probe-", node); }

// Runs `op` until it succeeds or `deadline` passes; false and the last error otherwise.
template <typename Op>
bool Retry(workloads::Runtime& rt, core::Nanos deadline, Op op, std::string* last_error) {
  while (true) {
    workloads::ClientResult r = op();
    if (r.outcome == workloads::Outcome::kOk) return true;
    *last_error = r.error;
    if (rt.Now() >= deadline) return false;
    rt.SleepUntil(std::min(deadline, rt.Now() + kProbeRetryInterval));
  }
}

bool ProbeNode(workloads::Runtime& rt, core::NodeId node, core::Nanos deadline, std::string* failure) {
  std::unique_ptr<workloads::Client> client = rt.Connect(static_cast<int>(node) - 1);
  const std::string key = ProbeKey(node);
  std::string error;
  if (!Retry(
          rt, deadline, [&] { return client->Put(key, "probe"); }, &error)) {
    *failure = absl::StrCat("the probe write through node ", node, " did not succeed (last error: ", error, ")");
    return false;
  }
  workloads::ClientResult read;
  if (!Retry(
          rt, deadline, [&] { return read = client->Get(key); }, &error)) {
    *failure = absl::StrCat("the probe read through node ", node, " did not succeed (last error: ", error, ")");
    return false;
  }
  if (read.result.kind != core::ResultKind::kValue || read.result.value != "probe") {
    *failure = absl::StrCat("the probe read through node ", node, " missed the probe write it followed");
    return false;
  }
  return true;
}

// The smallest key whose entry differs between two states (ForEach order is a hash order: sort).
std::string FirstDifferingKey(const core::KvState& a, const core::KvState& b) {
  std::map<std::string, std::pair<const core::KvState::Entry*, const core::KvState::Entry*>> keys;
  a.ForEach([&](std::string_view k, const core::KvState::Entry& e) { keys[std::string(k)].first = &e; });
  b.ForEach([&](std::string_view k, const core::KvState::Entry& e) { keys[std::string(k)].second = &e; });
  for (const auto& [key, entries] : keys) {
    const auto& [x, y] = entries;
    if (x == nullptr || y == nullptr || !(*x == *y)) return key;
  }
  return "(none: the states differ only in their encoding)";
}

uint64_t MaxApplied(Simulator& sim, const std::vector<core::NodeId>& nodes) {
  uint64_t max = 0;
  for (core::NodeId id : nodes) max = std::max(max, sim.node(id).node()->Status().applied_index);
  return max;
}

bool PlacesKeys(Simulator& sim, const std::vector<core::NodeId>& live) {
  return !live.empty() && !sim.node(live.front()).node()->ReplicasOf("").empty();
}

// Keys whose live replicas disagree, as problem lines (at most `max`, then a count).
std::vector<std::string> KeyDisagreements(Simulator& sim, const std::vector<core::NodeId>& live, size_t max) {
  std::set<std::string> keys;
  for (core::NodeId id : live) {
    const core::KvState* state = sim.node(id).node()->AppliedState();
    if (state != nullptr) state->ForEach([&](std::string_view k, const core::KvState::Entry&) { keys.emplace(k); });
  }
  std::vector<std::string> problems;
  size_t divergent = 0;
  for (const std::string& key : keys) {
    const core::KvState::Entry* first = nullptr;
    core::NodeId first_node = core::kNoNode;
    for (core::NodeId id : sim.node(live.front()).node()->ReplicasOf(key)) {
      if (std::find(live.begin(), live.end(), id) == live.end()) continue;
      const core::KvState* state = sim.node(id).node()->AppliedState();
      const core::KvState::Entry* e = state == nullptr ? nullptr : state->Find(key, 0);
      if (first_node == core::kNoNode) {
        first = e;
        first_node = id;
      } else if ((first == nullptr) != (e == nullptr) ||
                 // Contents only: an entry's WATCH version counts changes on that replica, and
                 // replicas reach equal contents by different histories.
                 (first != nullptr && (first->value() != e->value() || first->expire_at_ms() != e->expire_at_ms()))) {
        if (++divergent <= max) {
          problems.push_back(absl::StrCat("replicas of key '", key, "' diverge: nodes ", first_node, " and ", id,
                                          " hold different values"));
        }
        break;
      }
    }
  }
  if (divergent > max) problems.push_back(absl::StrCat("... ", divergent - max, " more divergent keys"));
  return problems;
}

std::vector<std::string> CheckKeyConvergence(Simulator& sim, core::Nanos settle, core::Nanos* converged_after) {
  const core::Nanos start = sim.now();
  const core::Nanos deadline = start + settle;
  while (!KeyDisagreements(sim, LiveNodes(sim), 1).empty() && sim.now() < deadline) {
    const core::Nanos until = std::min(deadline, sim.now() + kKeyConvergenceStep);
    const core::Nanos before = sim.now();
    // Up to the first event at or past `until`: a step with no event in it (the replicas' next
    // anti-entropy round is later) moves on to that event instead of ending the wait.
    (void)sim.RunUntil([&] { return sim.now() >= until; }, deadline);
    if (sim.now() == before) break;  // no event left before the deadline: nothing will change.
  }
  if (converged_after != nullptr) *converged_after = sim.now() - start;
  std::vector<std::string> problems = KeyDisagreements(sim, LiveNodes(sim), kMaxReportedDivergentKeys);
  for (std::string& p : problems) p += absl::StrCat(" after ", settle / core::kNanosPerSecond, " s of settling");
  return problems;
}

}  // namespace

std::vector<core::NodeId> LiveNodes(Simulator& sim) {
  std::vector<core::NodeId> live;
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim.node_count()); ++id) {
    core::Node* node = sim.node(id).node();
    if (node != nullptr && !sim.node(id).paused() && !node->Status().failed) live.push_back(id);
  }
  return live;
}

ProbeResult ProbeProgress(workloads::Runtime& rt, const std::vector<core::NodeId>& nodes, core::Nanos deadline) {
  ProbeResult result;
  const core::Nanos start = rt.Now();
  for (core::NodeId node : nodes) {
    if (!ProbeNode(rt, node, deadline, &result.failure)) return result;
  }
  result.ok = true;
  result.took_ns = rt.Now() - start;
  return result;
}

std::vector<std::string> CheckConvergence(Simulator& sim, core::Nanos settle, core::Nanos* converged_after) {
  std::vector<core::NodeId> live = LiveNodes(sim);
  if (live.size() >= 2 && PlacesKeys(sim, live)) return CheckKeyConvergence(sim, settle, converged_after);
  if (live.size() < 2 || MaxApplied(sim, live) == 0) return {};
  const core::Nanos deadline = sim.now() + settle;
  auto caught_up = [&] {
    live = LiveNodes(sim);
    const uint64_t max = MaxApplied(sim, live);
    return std::all_of(live.begin(), live.end(),
                       [&](core::NodeId id) { return sim.node(id).node()->Status().applied_index == max; });
  };
  (void)sim.RunUntil(caught_up, deadline);  // a deadline is judged below, node by node.
  live = LiveNodes(sim);
  const uint64_t max = MaxApplied(sim, live);
  std::vector<std::string> problems;
  const core::KvState* reference = nullptr;
  core::NodeId reference_node = core::kNoNode;
  for (core::NodeId id : live) {
    const core::Node& node = *sim.node(id).node();
    const uint64_t applied = node.Status().applied_index;
    if (applied != max) {
      problems.push_back(absl::StrCat("replica node ", id, " did not catch up: applied index ", applied, " < ", max,
                                      " after ", settle / core::kNanosPerSecond, " s of settling"));
      continue;
    }
    const core::KvState* state = node.AppliedState();
    if (reference == nullptr) {
      reference = state;
      reference_node = id;
    } else if (state->Checksum() != reference->Checksum()) {
      problems.push_back(absl::StrCat("replicas diverge: nodes ", reference_node, " and ", id, " at applied index ",
                                      max, " differ at key '", FirstDifferingKey(*reference, *state), "'"));
    }
  }
  return problems;
}

RefusalVerdict JudgeRefusals(const FaultInjector& injector) {
  RefusalVerdict v;
  const std::vector<core::NodeId>& corrupted = injector.corrupted();
  for (const auto& [node, status] : injector.refusals()) {
    const bool flipped = std::find(corrupted.begin(), corrupted.end(), node) != corrupted.end();
    if (flipped && status.code() == absl::StatusCode::kDataLoss) {
      ++v.justified;
      v.notes.push_back(absl::StrCat("detected and refused: node ", node,
                                     " found its corrupted data and refused to start (", status.message(), ")"));
    } else {
      v.problems.push_back(
          absl::StrCat("node ", node, " refused to start ",
                       flipped ? "with a non-DataLoss error" : "without a fault that corrupts synced data", ": ",
                       status.ToString()));
    }
  }
  return v;
}

}  // namespace kvlab::sim

namespace kvlab::sim {
namespace {

bool IsWrite(const workloads::HistoryOp& op) { return op.op == "put" || op.op == "del"; }

// On one key that lost writes: the acknowledged writes some read shows were lost, each counted
// once: a read returned a value whose write had completed before the lost write began, and the
// lost write had completed before that read began (values are unique per write).
uint64_t CountLost(const std::vector<const workloads::HistoryOp*>& ops) {
  std::set<const workloads::HistoryOp*> lost;
  for (const workloads::HistoryOp* read : ops) {
    // A read of "absent" is skipped: a del may explain it, and dels carry no value to match.
    if (read->op != "get" || read->result != workloads::OpResult::kOk || !read->value.has_value()) continue;
    uint64_t written_done = 0;  // when the write of the value read completed (0: none found).
    for (const workloads::HistoryOp* op : ops) {
      if (op->op == "put" && op->value == read->value) written_done = op->complete_seq;
    }
    for (const workloads::HistoryOp* op : ops) {
      if (IsWrite(*op) && op->result == workloads::OpResult::kOk && op->invoke_seq > written_done &&
          op->complete_seq < read->invoke_seq) {
        lost.insert(op);
      }
    }
  }
  return lost.size();
}

}  // namespace

FailoverVerdict CheckLinearizableUntilFailover(const std::vector<workloads::HistoryOp>& history) {
  workloads::CheckOptions all;
  all.max_violations = SIZE_MAX;
  all.minimize = false;
  FailoverVerdict v;
  v.check = workloads::CheckLinearizable(history, all);
  v.check.model = core::ConsistencyName(core::Consistency::kLinearizableUntilFailover);
  if (v.check.ok) return v;
  std::set<std::string> lossy;
  for (const workloads::Violation& bad : v.check.violations) lossy.insert(bad.key);
  std::vector<workloads::HistoryOp> demoted = history;
  std::map<std::string, std::vector<const workloads::HistoryOp*>> by_key;
  for (const workloads::HistoryOp& op : history) {
    if (lossy.contains(op.key)) by_key[op.key].push_back(&op);
  }
  // Only writes no read observed may have been lost (pb reads wait until every member has what
  // they observe); observed writes keep their place, so reads going back and forth still fail.
  std::set<std::pair<std::string, std::string>> observed;
  for (const workloads::HistoryOp& op : history) {
    if (op.op == "get" && op.result == workloads::OpResult::kOk && op.value) observed.emplace(op.key, *op.value);
  }
  for (workloads::HistoryOp& op : demoted) {
    if (!lossy.contains(op.key) || !IsWrite(op) || op.result != workloads::OpResult::kOk) continue;
    if (op.op == "put" && op.value && observed.contains({op.key, *op.value})) continue;
    op.result = workloads::OpResult::kUnknown;
  }
  v.check = workloads::CheckLinearizable(demoted);  // with the usual minimised violations.
  v.check.model = core::ConsistencyName(core::Consistency::kLinearizableUntilFailover);
  if (!v.check.ok) return v;
  v.lost_write_keys = lossy.size();
  for (const auto& [key, ops] : by_key) v.lost_acked_writes += CountLost(ops);
  return v;
}

}  // namespace kvlab::sim
