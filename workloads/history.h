// The operation history of a run: every client operation with its invoke and completion times and
// its outcome, in DESIGN.md's JSON-lines format, one operation per line:
//   {"client":3,"op":"put","key":"k1","value":"v7","invoke_ns":1200,"complete_ns":5400,"result":"ok"}
// A get carries the value read (null for absent); `fail` means definitely not applied, `unknown`
// (timed out) may or may not have been applied. The consistency checkers consume it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
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

  bool operator==(const HistoryOp&) const = default;
};

// Appends operations in completion order (the driver's order); single-threaded.
class History {
 public:
  void Add(HistoryOp op) { ops_.push_back(std::move(op)); }
  const std::vector<HistoryOp>& ops() const { return ops_; }
  size_t size() const { return ops_.size(); }

 private:
  std::vector<HistoryOp> ops_;
};

std::string ToJsonLine(const HistoryOp& op);  // no trailing newline.
void WriteHistory(const std::vector<HistoryOp>& ops, std::ostream& out);
absl::Status WriteHistoryFile(const std::vector<HistoryOp>& ops, const std::string& path);

// Parses JSON lines (blank lines skipped). kInvalidArgument names the 1-based line number.
absl::StatusOr<std::vector<HistoryOp>> ParseHistory(const std::string& text);
absl::StatusOr<std::vector<HistoryOp>> ReadHistoryFile(const std::string& path);

}  // namespace kvlab::workloads
