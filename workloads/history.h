// The operation history of a run: every client operation with its invoke and completion times and
// its outcome, in DESIGN.md's JSON-lines format, one operation per line:
//   {"client":3,"op":"put","key":"k1","value":"v7","invoke_ns":1200,"complete_ns":5400,"result":"ok",
//    "invoke_seq":41,"complete_seq":57}
// A get carries the value read (null for absent); `fail` means definitely not applied, `unknown`
// (timed out) may or may not have been applied. The seqs make the order exact where times tie
// (history_order.h); lines without them still parse. The consistency checkers consume it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::workloads {

enum class OpResult { kOk, kFail, kUnknown };
const char* OpResultName(OpResult r);

struct HistoryOp {
  int client = 0;
  std::string op;  // "get", "put", "del" (others are recorded but ignored by the checkers).
  std::string key;
  std::optional<std::string> value;  // put: value written; get: value read (nullopt = absent).
  core::Nanos invoke_ns = 0;
  core::Nanos complete_ns = 0;  // for unknown: when the client gave up.
  OpResult result = OpResult::kOk;
  // Places of the invocation and the completion in the run's one order of recorded events
  // (HistorySequence): total, and consistent with causality even where times tie. 0 = not
  // recorded (hand-written or older histories). Both or neither; invoke_seq < complete_seq.
  uint64_t invoke_seq = 0;
  uint64_t complete_seq = 0;

  bool operator==(const HistoryOp&) const = default;
};

// Stamps a run's history events with their order. Everything that records into one history (the
// driver, then the post-run read-back) stamps through one sequence: the workload's fibers all run
// on one thread, so the order of the stamps is the order in which the events happened. An
// invocation is stamped before the request leaves, a completion after its answer arrived, so
// "A's completion before B's invocation" means A really finished before B began.
class HistorySequence {
 public:
  HistorySequence() = default;
  // A sequence that continues after every seq already in `ops` (e.g. a finished driver's history).
  static HistorySequence After(const std::vector<HistoryOp>& ops);

  // Stamps `op` as invoked now (invoke_ns and invoke_seq).
  void Invoke(HistoryOp& op, core::Nanos now);
  // Stamps `op` as completed now. REQUIRES: `op` was invoked through this sequence.
  void Complete(HistoryOp& op, core::Nanos now);
  uint64_t last() const { return last_; }

 private:
  uint64_t Next();
  uint64_t last_ = 0;
};

std::string ToJsonLine(const HistoryOp& op);  // no trailing newline.
void WriteHistory(const std::vector<HistoryOp>& ops, std::ostream& out);
absl::Status WriteHistoryFile(const std::vector<HistoryOp>& ops, const std::string& path);

// One non-blank line (1-based `number`, for the error): kInvalidArgument "line N: why".
absl::StatusOr<HistoryOp> ParseHistoryLine(std::string_view line, int number);
bool IsBlankLine(std::string_view line);
// Parses JSON lines (blank lines skipped). kInvalidArgument names the 1-based line number.
absl::StatusOr<std::vector<HistoryOp>> ParseHistory(const std::string& text);
absl::StatusOr<std::vector<HistoryOp>> ReadHistoryFile(const std::string& path);

}  // namespace kvlab::workloads
