// The post-run read-back (DESIGN.md "Histories and verdicts"): after a run, every key that an
// acknowledged (or possibly applied) write touched is read once more and the reads join the
// history, so the checker sees each key's final value and a lost write shows up as a read that
// misses it. The simulator runs it once faults have stopped, a benchmark once its workload ended.
#pragma once

#include <string>
#include <vector>

#include "core/types.h"
#include "workloads/history.h"
#include "workloads/runtime.h"

namespace kvlab::workloads {

// A read that did not succeed is tried again this long after (until the deadline).
inline constexpr core::Nanos kReadBackRetryInterval = core::Millis(10);

struct ReadBackOptions {
  // The workload's client count: the reads are recorded as client `workload_clients`, one past
  // the workload's own (the driver leaves ids from `clients` up to the runner's readers).
  int workload_clients = 0;
  core::Nanos deadline = 0;  // runtime time after which a failed read is not tried again.
};

// Keys that an acknowledged (or possibly applied) write touched, in sorted order.
std::vector<std::string> WrittenKeys(const std::vector<HistoryOp>& history);

// Reads `keys` in order through one client (the runtime's connection 0), retrying each until it
// succeeds or the deadline passes, and appends every successful read to `history`, its seqs after
// every event already there. True if every key was read.
// REQUIRES: called from a fiber of `rt`; nothing else records into `history` meanwhile.
bool ReadBack(Runtime& rt, const std::vector<std::string>& keys, const ReadBackOptions& options,
              std::vector<HistoryOp>& history);

}  // namespace kvlab::workloads
