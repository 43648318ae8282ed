// Each client's final reads, once the replicas converged. The eventual checker
// (workloads/eventual.cc) requires every client's last read of a key after the key's last write to
// agree. Under faults a client's last workload read may come before the cluster healed (the one
// replica holding a newer, unacknowledged write still cut off, or anti-entropy not yet done), where
// no eventually consistent store can promise agreement. So once the replicas converged, each such
// client reads each such key once more through its own connection, and those reads become its final
// ones: they must agree and keep every acknowledged write.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/types.h"
#include "workloads/history.h"
#include "workloads/runtime.h"

namespace kvlab::sim {

// At most this many final reads per run (pairs of a client and a key): a bound on the virtual and
// wall time they take. A plan beyond it is a problem of the run, not silently cut.
inline constexpr size_t kMaxFinalReads = 100'000;
// A final read that did not succeed is tried again this long after (until the deadline).
inline constexpr core::Nanos kFinalReadRetryInterval = core::Millis(10);

// Client id -> the keys it reads again, in key order: every client of the run (the workload's, ids
// below `clients`, and the read-back's, id `clients`: workloads/readback.h) that has a successful
// read of a key invoked at or after the end (completion or give-up) of that key's last write.
using FinalReadPlan = absl::btree_map<int, std::vector<std::string>>;
FinalReadPlan PlanFinalReads(const std::vector<workloads::HistoryOp>& history, int clients);
size_t FinalReadCount(const FinalReadPlan& plan);

// What the final-read fibers record; appended to the history once they all finished.
struct FinalReads {
  explicit FinalReads(const std::vector<workloads::HistoryOp>& history)
      : sequence(workloads::HistorySequence::After(history)) {}
  workloads::HistorySequence sequence;
  std::vector<workloads::HistoryOp> ops;
  std::vector<std::string> failures;  // a client that could not read a key by the deadline.
};

// Spawns one fiber per client of `plan`: it connects as that client (runtime connection `client`)
// and reads its keys in order, each retried until it succeeds or `deadline` passes, recording
// every successful read in `out` as that client's. `out` must outlive the fibers.
void SpawnFinalReads(workloads::Runtime& rt, const FinalReadPlan& plan, core::Nanos deadline, FinalReads& out);

}  // namespace kvlab::sim
