// Consistency checkers over a recorded History.
//
// Linearizability (for raft): each key is an independent register (P-compositionality: a history
// is linearizable iff every per-key sub-history is), checked with Wing & Gong's search as refined
// by Lowe (memoising (linearized-set, state) pairs), the algorithm of Knossos and Porcupine.
// `fail` operations never took effect and are dropped; `unknown` operations may take effect at any
// point after their invoke, or never; `del` is a put of "absent"; other ops are ignored.
// Keys whose written values are all unique (the driver guarantees it) are decided by Gibbons &
// Korach's zone test in O(n log n); the search then only shrinks the witness. Which op precedes
// which comes from history_order.h: times, and where they tie the recorded seqs (or, without
// seqs, a client's own ops in sequence).
//
// Eventual (for quorum): staleness (reads that missed the latest acknowledged write, by how long)
// and convergence (each key's final reads agree and do not lose an acknowledged write).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/history.h"

namespace kvlab::workloads {

inline constexpr uint64_t kDefaultMaxSearchStatesPerKey = 5'000'000;
// CheckLinearizable splits the keys of a history this long or longer over the cores (whole runs
// end with a check of every op: a second core halves its wall time), at most this many threads.
inline constexpr size_t kParallelCheckMinOps = 20'000;
inline constexpr size_t kMaxParallelCheckThreads = 4;

struct Violation {
  std::string key;
  std::string reason;
  std::vector<HistoryOp> ops;  // a small set of ops that together cannot be explained.
};

struct StalenessStats {
  uint64_t reads = 0;                // ok reads considered.
  uint64_t stale_reads = 0;          // read a value older than the latest acknowledged write.
  core::Nanos max_staleness_ns = 0;  // how long the missed write had been acknowledged.
  double mean_staleness_ns = 0;      // over stale reads.
};

struct CheckResult {
  std::string model;  // "linearizable" or "eventual".
  bool ok = true;
  std::vector<Violation> violations;
  std::vector<std::string> inconclusive_keys;  // search budget exhausted (counted as not ok).
  uint64_t ops_checked = 0;
  uint64_t keys_checked = 0;
  StalenessStats staleness;  // eventual model only.
};

struct CheckOptions {
  uint64_t max_search_states_per_key = kDefaultMaxSearchStatesPerKey;
  bool minimize = true;        // shrink each violation to a small set of ops.
  size_t max_violations = 10;  // stop collecting after this many (the verdict is already known).
  // Use the O(n log n) zone test for keys whose written values are unique (false: always search;
  // for cross-checking the two algorithms).
  bool use_zone_test = true;
  // Linearizability: threads checking disjoint sets of keys; 0 = one below kParallelCheckMinOps
  // ops, else the cores (at most kMaxParallelCheckThreads). The result is the same for any count.
  size_t threads = 0;
};

CheckResult CheckLinearizable(const std::vector<HistoryOp>& history, const CheckOptions& options = {});
CheckResult CheckEventual(const std::vector<HistoryOp>& history, const CheckOptions& options = {});

// Human-readable verdict with the violating ops, for `kvlab check`.
std::string FormatCheckResult(const CheckResult& result);

}  // namespace kvlab::workloads
