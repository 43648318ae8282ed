// The eventual-consistency checker: staleness statistics and convergence after quiescence.
#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "workloads/checker.h"

namespace kvlab::workloads {
namespace {

constexpr core::Nanos kNever = INT64_MAX;

struct Write {
  size_t index;
  core::Nanos invoke;
  core::Nanos complete;  // kNever for unknown outcomes.
  bool acked;
};

bool IsWrite(const HistoryOp& op) { return op.op == "put" || op.op == "del"; }
std::optional<std::string> Written(const HistoryOp& op) {
  return op.op == "del" ? std::nullopt : op.value;
}

class KeyChecker {
 public:
  KeyChecker(const std::vector<HistoryOp>& h, const std::vector<size_t>& indexes,
             StalenessStats& stats, std::vector<Violation>& violations)
      : h_(h), stats_(stats), violations_(violations) {
    for (size_t i : indexes) {
      const HistoryOp& op = h[i];
      if (IsWrite(op) && op.result != OpResult::kFail) {
        const bool acked = op.result == OpResult::kOk;
        writes_.push_back({i, op.invoke_ns, acked ? op.complete_ns : kNever, acked});
        by_value_[Written(op)].push_back(writes_.size() - 1);
        if (acked) acked_.push_back(writes_.size() - 1);
      } else if (op.op == "get" && op.result == OpResult::kOk) {
        reads_.push_back(i);
      }
    }
    std::sort(acked_.begin(), acked_.end(),
              [&](size_t a, size_t b) { return writes_[a].complete < writes_[b].complete; });
  }

  void CheckReads() {
    for (size_t r : reads_) CheckRead(h_[r]);
  }

  // After the key's last write completed, each client's final read must agree and must not have
  // lost an acknowledged write.
  void CheckConvergence(const std::string& key) {
    core::Nanos quiet = 0;
    for (const Write& w : writes_) quiet = std::max(quiet, w.acked ? w.complete : h_[w.index].complete_ns);
    absl::btree_map<int, size_t> final_read;  // client -> last read after quiescence.
    for (size_t r : reads_) {
      if (h_[r].invoke_ns > quiet) {
        auto [it, fresh] = final_read.try_emplace(h_[r].client, r);
        if (!fresh && h_[r].invoke_ns > h_[it->second].invoke_ns) it->second = r;
      }
    }
    absl::btree_set<std::optional<std::string>> values;
    Violation v{.key = key, .reason = "", .ops = {}};
    for (const auto& [client, r] : final_read) {
      values.insert(h_[r].value);
      v.ops.push_back(h_[r]);
    }
    if (values.size() > 1) {
      v.reason = "final reads after quiescence disagree (no convergence)";
      violations_.push_back(std::move(v));
      return;
    }
    if (values.size() == 1) CheckNotLost(key, *values.begin(), v.ops.front());
  }

 private:
  void CheckRead(const HistoryOp& read) {
    ++stats_.reads;
    const auto writers = by_value_.find(read.value);
    if (read.value && writers == by_value_.end()) {
      violations_.push_back({.key = read.key,
                             .reason = "a read returned a value that was never written",
                             .ops = {read}});
      return;
    }
    // The read is stale if an acknowledged write W' that started after the read value's write
    // ended (so W' definitely superseded it) was itself acknowledged before the read began.
    core::Nanos written = -1;  // "absent": superseded by any acknowledged write.
    if (writers != by_value_.end()) {
      written = INT64_MIN;  // several writers of one value: the most lenient (latest) counts.
      for (size_t w : writers->second) written = std::max(written, writes_[w].complete);
    }
    if (written == kNever) return;  // an unknown write may have been applied at any time.
    auto it = std::partition_point(acked_.begin(), acked_.end(),
                                   [&](size_t w) { return writes_[w].complete <= written; });
    for (; it != acked_.end() && writes_[*it].complete < read.invoke_ns; ++it) {
      if (writes_[*it].invoke > written) {
        RecordStale(read, writes_[*it]);  // the earliest-acknowledged superseding write.
        return;
      }
    }
  }

  void RecordStale(const HistoryOp& read, const Write& missed) {
    const core::Nanos staleness = read.invoke_ns - missed.complete;
    stats_.mean_staleness_ns =
        (stats_.mean_staleness_ns * stats_.stale_reads + static_cast<double>(staleness)) /
        static_cast<double>(stats_.stale_reads + 1);
    ++stats_.stale_reads;
    stats_.max_staleness_ns = std::max(stats_.max_staleness_ns, staleness);
  }

  // The converged value must come from a write that no acknowledged write strictly follows.
  void CheckNotLost(const std::string& key, const std::optional<std::string>& value,
                    const HistoryOp& read) {
    core::Nanos value_complete = -1;  // "absent" was superseded by any acknowledged write.
    if (auto it = by_value_.find(value); it != by_value_.end()) {
      for (size_t w : it->second) value_complete = std::max(value_complete, writes_[w].complete);
    }
    for (size_t w : acked_) {
      if (writes_[w].invoke > value_complete) {
        violations_.push_back({.key = key,
                               .reason = "an acknowledged write was lost: the final value is older",
                               .ops = {h_[writes_[w].index], read}});
        return;
      }
    }
  }

  const std::vector<HistoryOp>& h_;
  StalenessStats& stats_;
  std::vector<Violation>& violations_;
  std::vector<Write> writes_;
  std::vector<size_t> acked_;  // indexes into writes_, by completion time.
  std::vector<size_t> reads_;
  absl::flat_hash_map<std::optional<std::string>, std::vector<size_t>> by_value_;
};

}  // namespace

CheckResult CheckEventual(const std::vector<HistoryOp>& history, const CheckOptions& options) {
  CheckResult result;
  result.model = "eventual";
  absl::btree_map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < history.size(); ++i) {
    if (IsWrite(history[i]) || history[i].op == "get") by_key[history[i].key].push_back(i);
  }
  for (const auto& [key, indexes] : by_key) {
    ++result.keys_checked;
    result.ops_checked += indexes.size();
    KeyChecker checker(history, indexes, result.staleness, result.violations);
    checker.CheckReads();
    checker.CheckConvergence(key);
  }
  result.ok = result.violations.empty();
  if (result.violations.size() > options.max_violations) {
    result.violations.resize(options.max_violations);
  }
  return result;
}

std::string FormatCheckResult(const CheckResult& r) {
  std::string out = absl::StrFormat("model: %s\nops: %d  keys: %d\nverdict: %s\n", r.model,
                                    r.ops_checked, r.keys_checked, r.ok ? "OK" : "VIOLATION");
  if (r.model == "eventual") {
    absl::StrAppendFormat(&out, "stale reads: %d of %d (max %.3f ms, mean %.3f ms)\n",
                          r.staleness.stale_reads, r.staleness.reads,
                          r.staleness.max_staleness_ns / 1e6, r.staleness.mean_staleness_ns / 1e6);
  }
  for (const std::string& key : r.inconclusive_keys) {
    absl::StrAppend(&out, "key ", key, ": inconclusive (search budget exhausted)\n");
  }
  for (const Violation& v : r.violations) {
    absl::StrAppend(&out, "key ", v.key, ": ", v.reason, "\n");
    for (const HistoryOp& op : v.ops) absl::StrAppend(&out, "  ", ToJsonLine(op), "\n");
  }
  return out;
}

}  // namespace kvlab::workloads
