// Linearizability of per-key registers: the zone test when written values are unique (zones.cc),
// else Wing & Gong's search with Lowe's memoisation, over the
// call/return entries of one key kept in a doubly linked list (Porcupine's formulation). Both see
// the events in the key's one order (history_order.h), as ranks: no two events tie.
#include <algorithm>
#include <iterator>
#include <numeric>
#include <optional>
#include <string_view>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/assert.h"
#include "core/string_view_hash.h"
#include "workloads/checker.h"
#include "workloads/history_order.h"
#include "workloads/register_ops.h"

namespace kvlab::workloads {
namespace {

// Witnesses larger than this are reported as found, without the (quadratic) shrinking search.
constexpr size_t kMaxOpsToSearchInWitness = 300;

// The search's memo key: which ops are linearized and the register's value after them.
struct Config {
  std::vector<uint64_t> bits;
  int32_t state;
  bool operator==(const Config&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Config& c) {
    return H::combine(std::move(h), c.bits, c.state);
  }
};

enum class Verdict { kLinearizable, kViolation, kInconclusive };

class RegisterSearch {
 public:
  RegisterSearch(const std::vector<RegOp>& ops, uint64_t max_states) : ops_(ops), max_states_(max_states) {
    BuildList();
  }

  Verdict Run() {
    std::vector<std::pair<int, int32_t>> stack;  // (call entry, state before it)
    std::vector<uint64_t> linearized((ops_.size() + 63) / 64, 0);
    int32_t state = 0;
    size_t required_left = std::count_if(ops_.begin(), ops_.end(), [](const RegOp& o) { return o.required; });
    absl::flat_hash_set<Config> seen;
    int entry = next_[kHead];
    while (required_left > 0) {
      KV_ASSERT(entry != kEnd);  // every required call is followed by its return.
      const int op = op_of_[entry];
      if (is_call_[entry]) {
        const RegOp& o = ops_[op];
        if (o.is_write || o.value == state) {
          const int32_t next_state = o.is_write ? o.value : state;
          linearized[op / 64] |= uint64_t{1} << (op % 64);
          if (seen.insert(Config{linearized, next_state}).second) {
            if (seen.size() > max_states_) return Verdict::kInconclusive;
            stack.emplace_back(entry, state);
            state = next_state;
            required_left -= o.required;
            Lift(entry);
            entry = next_[kHead];
            continue;
          }
          linearized[op / 64] &= ~(uint64_t{1} << (op % 64));
        }
        entry = next_[entry];
        continue;
      }
      // A return whose op is not linearized yet: this branch is dead, backtrack.
      while (true) {
        if (stack.empty()) return Verdict::kViolation;
        const auto [call, before] = stack.back();
        stack.pop_back();
        state = before;
        const int undone = op_of_[call];
        linearized[undone / 64] &= ~(uint64_t{1} << (undone % 64));
        required_left += ops_[undone].required;
        Unlift(call);
        entry = next_[call];
        // A read linearized as soon as it matched dominates every later placement of it (it
        // leaves the state unchanged and only removes constraints), so trying the alternatives
        // after it cannot succeed: keep backtracking past it.
        if (ops_[undone].is_write) break;
      }
    }
    return Verdict::kLinearizable;
  }

 private:
  static constexpr int kHead = 0;
  static constexpr int kEnd = -1;

  // Entries 1..2n sorted by rank (only unknown writes' never-returns tie: by op).
  void BuildList() {
    const int n = static_cast<int>(ops_.size());
    struct E {
      int64_t t;
      int kind;
      int op;
    };
    std::vector<E> es;
    for (int i = 0; i < n; ++i) {
      es.push_back({ops_[i].call, 0, i});
      es.push_back({ops_[i].ret, 1, i});
    }
    std::sort(es.begin(), es.end(),
              [](const E& a, const E& b) { return std::tie(a.t, a.kind, a.op) < std::tie(b.t, b.kind, b.op); });
    const int total = 2 * n + 1;
    next_.assign(total, kEnd);
    prev_.assign(total, kEnd);
    op_of_.assign(total, -1);
    is_call_.assign(total, false);
    match_.assign(total, kEnd);
    std::vector<int> call_entry(n), ret_entry(n);
    for (int i = 0; i < 2 * n; ++i) {
      const int e = i + 1;
      op_of_[e] = es[i].op;
      is_call_[e] = es[i].kind == 0;
      (is_call_[e] ? call_entry : ret_entry)[es[i].op] = e;
      prev_[e] = e - 1;
      next_[e - 1] = e;
    }
    for (int i = 0; i < n; ++i) match_[call_entry[i]] = ret_entry[i];
  }

  void Remove(int e) {
    next_[prev_[e]] = next_[e];
    if (next_[e] != kEnd) prev_[next_[e]] = prev_[e];
  }
  void Restore(int e) {
    next_[prev_[e]] = e;
    if (next_[e] != kEnd) prev_[next_[e]] = e;
  }
  void Lift(int call) {
    Remove(call);
    Remove(match_[call]);
  }
  void Unlift(int call) {
    Restore(match_[call]);
    Restore(call);
  }

  const std::vector<RegOp>& ops_;
  uint64_t max_states_;
  std::vector<int> next_, prev_, op_of_, match_;
  std::vector<bool> is_call_;
};

Verdict CheckRegister(const std::vector<RegOp>& ops, uint64_t max_states) {
  if (ops.empty()) return Verdict::kLinearizable;
  return RegisterSearch(ops, max_states).Run();
}

// A sub-history is a fair witness only if every value its reads return is written inside it
// (or never written at all): otherwise "read of a value never written" would be an artefact.
bool KeepsWriters(const std::vector<RegOp>& subset, const absl::flat_hash_set<int32_t>& written) {
  absl::flat_hash_set<int32_t> in_subset;
  for (const RegOp& o : subset) {
    if (o.is_write) in_subset.insert(o.value);
  }
  return std::all_of(subset.begin(), subset.end(), [&](const RegOp& o) {
    return o.is_write || o.value == 0 || !written.contains(o.value) || in_subset.contains(o.value);
  });
}

// Delta-debugging-style shrinking: drop chunks (halving their size) while the rest still fails.
std::vector<RegOp> Minimize(std::vector<RegOp> ops, uint64_t max_states) {
  absl::flat_hash_set<int32_t> written;
  for (const RegOp& o : ops) {
    if (o.is_write) written.insert(o.value);
  }
  for (size_t chunk = std::max<size_t>(1, ops.size() / 2);; chunk /= 2) {
    for (size_t start = 0; start < ops.size();) {
      std::vector<RegOp> candidate(ops.begin(), ops.begin() + start);
      const size_t end = std::min(ops.size(), start + chunk);
      candidate.insert(candidate.end(), ops.begin() + end, ops.end());
      if (!candidate.empty() && KeepsWriters(candidate, written) &&
          CheckRegister(candidate, max_states) == Verdict::kViolation) {
        ops = std::move(candidate);
      } else {
        start += chunk;
      }
    }
    if (chunk == 1) break;
  }
  return ops;
}

// What the register check reads of one op besides its times. `value` is interned over the whole
// history (0 = absent, a del, or an op the check drops).
struct PackedOp {
  size_t history_index = 0;
  int32_t value = 0;
  bool is_write = false;
  OpResult result = OpResult::kOk;
};

// One key's get/put/del ops in history order, gathered in one pass over the history so that the
// per-key work reads compact arrays instead of scattered HistoryOps.
struct KeyOps {
  std::string_view key;  // points into the history.
  std::vector<OpTimes> times;
  std::vector<PackedOp> ops;
};

// A fail never took effect, and a read with no answer says nothing: neither becomes a register op.
bool Dropped(bool is_write, OpResult result) {
  return result == OpResult::kFail || (!is_write && result == OpResult::kUnknown);
}

// The keys of one shard of the check: a key's ops all go to one thread, so values need only be
// interned consistently within a thread.
struct Shard {
  size_t index = 0;
  size_t count = 1;
  bool Has(std::string_view key) const { return count == 1 || core::StringViewHash{}(key) % count == index; }
};

// The history's get/put/del ops of the shard's keys, by key, keys in order (the output is
// deterministic). Values are interned once here; `value_count` receives the number of distinct
// values.
std::vector<KeyOps> PackByKey(const std::vector<HistoryOp>& history, Shard shard, int32_t* value_count) {
  absl::flat_hash_map<std::string_view, size_t, core::StringViewHash> slot;
  absl::flat_hash_map<std::string_view, int32_t, core::StringViewHash> values;  // views into `history`.
  std::vector<KeyOps> keys;
  for (size_t i = 0; i < history.size(); ++i) {
    const HistoryOp& h = history[i];
    const bool is_del = h.op == "del";
    const bool is_write = is_del || h.op == "put";
    if (!is_write && h.op != "get") continue;
    if (!shard.Has(h.key)) continue;
    auto [it, added] = slot.try_emplace(h.key, keys.size());
    if (added) keys.push_back(KeyOps{.key = h.key, .times = {}, .ops = {}});
    KeyOps& k = keys[it->second];
    PackedOp op{.history_index = i, .value = 0, .is_write = is_write, .result = h.result};
    if (!Dropped(is_write, h.result) && !is_del && h.value) {
      op.value = values.try_emplace(std::string_view(*h.value), static_cast<int32_t>(values.size() + 1)).first->second;
    }
    k.times.push_back(TimesOf(h));
    k.ops.push_back(op);
  }
  std::sort(keys.begin(), keys.end(), [](const KeyOps& a, const KeyOps& b) { return a.key < b.key; });
  *value_count = static_cast<int32_t>(values.size());
  return keys;
}

// Renumbers one key's interned values 1, 2, ... in order of first appearance (0 stays absent),
// so a key's register ops are the same whatever else the history holds.
class LocalIds {
 public:
  explicit LocalIds(int32_t value_count) : local_(static_cast<size_t>(value_count) + 1, 0) {}
  int32_t Of(int32_t global) {
    if (global == 0) return 0;
    int32_t& id = local_[global];
    if (id == 0) {
      used_.push_back(global);
      id = static_cast<int32_t>(used_.size());
    }
    return id;
  }
  // Forgets the key's numbering (touching only the entries it set).
  void Reset() {
    for (int32_t g : used_) local_[g] = 0;
    used_.clear();
  }

 private:
  std::vector<int32_t> local_;
  std::vector<int32_t> used_;
};

// One key's ops as register ops. Calls and returns are the events' ranks in the key's order.
std::vector<RegOp> ToRegisterOps(const KeyOps& k, const EventRanks& ranks, LocalIds& ids) {
  ids.Reset();
  std::vector<RegOp> ops;
  ops.reserve(k.ops.size());
  for (size_t j = 0; j < k.ops.size(); ++j) {
    const PackedOp& p = k.ops[j];
    if (Dropped(p.is_write, p.result)) continue;
    RegOp r;
    r.is_write = p.is_write;
    r.value = ids.Of(p.value);
    r.call = ranks.invoke[j];
    r.required = p.result == OpResult::kOk;
    r.ret = r.required ? ranks.complete[j] : kNeverReturns;
    r.history_index = p.history_index;
    ops.push_back(r);
  }
  return ops;
}

std::string Reason(const std::vector<RegOp>& ops) {
  absl::flat_hash_set<int32_t> written;
  for (const RegOp& o : ops) {
    if (o.is_write) written.insert(o.value);
  }
  for (const RegOp& o : ops) {
    if (!o.is_write && o.value != 0 && !written.contains(o.value)) {
      return "a read returned a value that was never written";
    }
  }
  return "no order of these operations respects real time and register semantics";
}

}  // namespace

namespace {

// One key's outcome, as the serial loop of CheckLinearizable would record it.
struct KeyOutcome {
  std::string_view key;
  uint64_t ops = 0;
  enum { kSkipped, kLinearizable, kViolation, kInconclusive } verdict = kSkipped;
  std::optional<Violation> violation;
};

// The verdict on one key, a violation already shrunk and described.
KeyOutcome CheckKey(const std::vector<HistoryOp>& history, const KeyOps& k, LocalIds& ids,
                    const CheckOptions& options) {
  KeyOutcome out{.key = k.key, .ops = k.ops.size(), .verdict = KeyOutcome::kLinearizable, .violation = {}};
  std::vector<RegOp> ops = ToRegisterOps(k, RankEvents(k.times), ids);
  // Unique written values (what the driver produces): the O(n log n) zone test decides, and a
  // violation comes with the two clusters in conflict, a small sub-history to shrink further.
  const std::optional<ZoneVerdict> zones = options.use_zone_test ? CheckRegisterZones(ops) : std::nullopt;
  if (zones && zones->linearizable) return out;
  if (zones) {
    std::vector<RegOp> witness;
    for (size_t i : zones->witness) witness.push_back(ops[i]);
    ops = std::move(witness);
  }
  Verdict verdict = Verdict::kViolation;  // the zone test's "no" is a proof.
  if (!zones) {
    verdict = CheckRegister(ops, options.max_search_states_per_key);
  } else if (ops.size() <= kMaxOpsToSearchInWitness) {
    // The two algorithms must agree on the witness (cheap: it is two clusters).
    KV_ASSERT(CheckRegister(ops, options.max_search_states_per_key) != Verdict::kLinearizable);
  }
  if (verdict == Verdict::kInconclusive) out.verdict = KeyOutcome::kInconclusive;
  if (verdict != Verdict::kViolation) return out;
  out.verdict = KeyOutcome::kViolation;
  if (options.minimize && ops.size() <= kMaxOpsToSearchInWitness) {
    ops = Minimize(std::move(ops), options.max_search_states_per_key);
  }
  Violation v{.key = std::string(k.key), .reason = Reason(ops), .ops = {}};
  std::sort(ops.begin(), ops.end(), [](const RegOp& a, const RegOp& b) { return a.call < b.call; });
  for (const RegOp& o : ops) v.ops.push_back(history[o.history_index]);
  out.violation = std::move(v);
  return out;
}

// The outcomes of the shard's keys, in key order. A key after the shard's own max_violations-th
// violation is skipped: in key order over all shards at least as many violations precede it, so
// the serial check would not look at it either.
std::vector<KeyOutcome> CheckShard(const std::vector<HistoryOp>& history, Shard shard, const CheckOptions& options) {
  int32_t value_count = 0;
  const std::vector<KeyOps> by_key = PackByKey(history, shard, &value_count);
  LocalIds ids(value_count);
  std::vector<KeyOutcome> outcomes;
  outcomes.reserve(by_key.size());
  size_t violations = 0;
  for (const KeyOps& k : by_key) {
    if (violations >= options.max_violations) {
      outcomes.push_back(
          KeyOutcome{.key = k.key, .ops = k.ops.size(), .verdict = KeyOutcome::kSkipped, .violation = {}});
      continue;
    }
    outcomes.push_back(CheckKey(history, k, ids, options));
    violations += outcomes.back().verdict == KeyOutcome::kViolation;
  }
  return outcomes;
}

// Threads for a history of `ops` operations: one below kParallelCheckMinOps (a thread costs more
// than it saves there), else the cores, at most kMaxParallelCheckThreads.
size_t CheckThreadsFor(size_t ops, size_t asked) {
  if (asked > 0) return std::min(asked, kMaxParallelCheckThreads);
  if (ops < kParallelCheckMinOps) return 1;
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxParallelCheckThreads);
}

}  // namespace

CheckResult CheckLinearizable(const std::vector<HistoryOp>& history, const CheckOptions& options) {
  const size_t threads = CheckThreadsFor(history.size(), options.threads);
  std::vector<std::vector<KeyOutcome>> shards(threads);
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] { shards[t] = CheckShard(history, Shard{.index = t, .count = threads}, options); });
  }
  shards[0] = CheckShard(history, Shard{.index = 0, .count = threads}, options);
  for (std::thread& w : workers) w.join();
  std::vector<KeyOutcome> outcomes;
  for (std::vector<KeyOutcome>& shard : shards) {
    std::move(shard.begin(), shard.end(), std::back_inserter(outcomes));
  }
  if (threads > 1) {
    std::sort(outcomes.begin(), outcomes.end(), [](const KeyOutcome& a, const KeyOutcome& b) { return a.key < b.key; });
  }
  // The serial verdict: keys in order, nothing recorded after max_violations violations.
  CheckResult result;
  result.model = "linearizable";
  for (KeyOutcome& o : outcomes) {
    ++result.keys_checked;
    result.ops_checked += o.ops;
    if (result.violations.size() >= options.max_violations) continue;
    KV_ASSERT(o.verdict != KeyOutcome::kSkipped);
    if (o.verdict == KeyOutcome::kLinearizable) continue;
    result.ok = false;
    if (o.verdict == KeyOutcome::kInconclusive) {
      result.inconclusive_keys.push_back(std::string(o.key));
      continue;
    }
    result.violations.push_back(*std::move(o.violation));
  }
  return result;
}

}  // namespace kvlab::workloads
