// The eventual-consistency checker: staleness statistics and convergence after quiescence. What
// precedes what comes from each key's one order of events (history_order.h, as ranks); only the
// staleness figures are durations in ns.
#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "workloads/checker.h"
#include "workloads/history_order.h"

namespace kvlab::workloads {
namespace {

constexpr int64_t kNever = INT64_MAX;  // the rank of a completion that may never happen.

// Invoke and complete are ranks in the key's order of events.
struct Write {
  size_t index;
  int64_t invoke;
  int64_t complete;  // kNever for unknown outcomes.
  int64_t ended;     // the completion, or when the client gave up on an unknown outcome.
  bool acked;
};

struct Read {
  size_t index;
  int64_t invoke;
};

bool IsWrite(const HistoryOp& op) { return op.op == "put" || op.op == "del"; }
std::optional<std::string> Written(const HistoryOp& op) { return op.op == "del" ? std::nullopt : op.value; }

class KeyChecker {
 public:
  // `ranks` are those of `indexes`, one key's ops.
  KeyChecker(const std::vector<HistoryOp>& h, const EventRanks& ranks, const std::vector<size_t>& indexes,
             StalenessStats& stats, std::vector<Violation>& violations)
      : h_(h), stats_(stats), violations_(violations) {
    for (size_t k = 0; k < indexes.size(); ++k) {
      const size_t i = indexes[k];
      const HistoryOp& op = h[i];
      if (IsWrite(op) && op.result != OpResult::kFail) {
        const bool acked = op.result == OpResult::kOk;
        writes_.push_back({i, ranks.invoke[k], acked ? ranks.complete[k] : kNever, ranks.complete[k], acked});
        by_value_[Written(op)].push_back(writes_.size() - 1);
        if (acked) acked_.push_back(writes_.size() - 1);
      } else if (op.op == "get" && op.result == OpResult::kOk) {
        reads_.push_back({i, ranks.invoke[k]});
      }
    }
    std::sort(acked_.begin(), acked_.end(),
              [&](size_t a, size_t b) { return writes_[a].complete < writes_[b].complete; });
  }

  void CheckReads() {
    for (const Read& r : reads_) CheckRead(r);
  }

  // After the key's last write completed, each client's final read must agree and must not have
  // lost an acknowledged write.
  void CheckConvergence(std::string_view key) {
    int64_t quiet = -1;  // the key's last write completion (or give-up).
    for (const Write& w : writes_) quiet = std::max(quiet, w.ended);
    absl::btree_map<int, Read> final_read;  // client -> last read after quiescence.
    for (const Read& r : reads_) {
      if (r.invoke > quiet) {
        auto [it, fresh] = final_read.try_emplace(h_[r.index].client, r);
        if (!fresh && r.invoke > it->second.invoke) it->second = r;
      }
    }
    absl::btree_set<std::optional<std::string>> values;
    Violation v{.key = std::string(key), .reason = "", .ops = {}};
    for (const auto& [client, r] : final_read) {
      values.insert(h_[r.index].value);
      v.ops.push_back(h_[r.index]);
    }
    if (values.size() > 1) {
      v.reason = "final reads after quiescence disagree (no convergence)";
      violations_.push_back(std::move(v));
      return;
    }
    if (values.size() == 1) CheckNotLost(key, *values.begin(), v.ops.front());
  }

 private:
  void CheckRead(const Read& r) {
    const HistoryOp& read = h_[r.index];
    ++stats_.reads;
    const auto writers = by_value_.find(read.value);
    if (read.value && writers == by_value_.end()) {
      violations_.push_back(
          {.key = read.key, .reason = "a read returned a value that was never written", .ops = {read}});
      return;
    }
    // The read is stale if an acknowledged write W' that started after the read value's write
    // ended (so W' definitely superseded it) was itself acknowledged before the read began.
    int64_t written = -1;  // "absent": superseded by any acknowledged write (ranks are >= 0).
    if (writers != by_value_.end()) {
      written = INT64_MIN;  // several writers of one value: the most lenient (latest) counts.
      for (size_t w : writers->second) written = std::max(written, writes_[w].complete);
    }
    if (written == kNever) return;  // an unknown write may have been applied at any time.
    auto it =
        std::partition_point(acked_.begin(), acked_.end(), [&](size_t w) { return writes_[w].complete <= written; });
    for (; it != acked_.end() && writes_[*it].complete < r.invoke; ++it) {
      if (writes_[*it].invoke > written) {
        RecordStale(read, writes_[*it]);  // the earliest-acknowledged superseding write.
        return;
      }
    }
  }

  void RecordStale(const HistoryOp& read, const Write& missed) {
    // In ns; 0 when the missed write completed at the very instant the read began.
    const core::Nanos staleness = read.invoke_ns - h_[missed.index].complete_ns;
    stats_.mean_staleness_ns = (stats_.mean_staleness_ns * stats_.stale_reads + static_cast<double>(staleness)) /
                               static_cast<double>(stats_.stale_reads + 1);
    ++stats_.stale_reads;
    stats_.max_staleness_ns = std::max(stats_.max_staleness_ns, staleness);
  }

  // The converged value must come from a write that no acknowledged write strictly follows.
  void CheckNotLost(std::string_view key, const std::optional<std::string>& value, const HistoryOp& read) {
    int64_t value_complete = -1;  // "absent" was superseded by any acknowledged write.
    if (auto it = by_value_.find(value); it != by_value_.end()) {
      for (size_t w : it->second) value_complete = std::max(value_complete, writes_[w].complete);
    }
    for (size_t w : acked_) {
      if (writes_[w].invoke > value_complete) {
        violations_.push_back({.key = std::string(key),
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
  std::vector<size_t> acked_;  // indexes into writes_, by completion rank.
  std::vector<Read> reads_;
  absl::flat_hash_map<std::optional<std::string>, std::vector<size_t>> by_value_;
};

}  // namespace

CheckResult CheckEventual(const std::vector<HistoryOp>& history, const CheckOptions& options) {
  CheckResult result;
  result.model = "eventual";
  const KeyGroups by_key = GroupByKey(history, [](const HistoryOp& h) { return IsWrite(h) || h.op == "get"; });
  for (const auto& [key, indexes] : by_key) {
    ++result.keys_checked;
    result.ops_checked += indexes.size();
    KeyChecker checker(history, RankEvents(history, indexes), indexes, result.staleness, result.violations);
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
  std::string out = absl::StrFormat("model: %s\nops: %d  keys: %d\nverdict: %s\n", r.model, r.ops_checked,
                                    r.keys_checked, r.ok ? "OK" : "VIOLATION");
  if (r.model == "eventual") {
    absl::StrAppendFormat(&out, "stale reads: %d of %d (max %.3f ms, mean %.3f ms)\n", r.staleness.stale_reads,
                          r.staleness.reads, r.staleness.max_staleness_ns / 1e6, r.staleness.mean_staleness_ns / 1e6);
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
