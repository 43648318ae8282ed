#include "workloads/readback.h"

#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "core/assert.h"
#include "core/string_view_hash.h"

namespace kvlab::workloads {

std::vector<std::string> WrittenKeys(const std::vector<HistoryOp>& history) {
  // Distinct keys by hashing views, then one sort of the few distinct ones: an ordered set of
  // strings compared keys on every write of the history.
  absl::flat_hash_set<std::string_view, core::StringViewHash> seen;
  std::vector<std::string> keys;
  for (const HistoryOp& op : history) {
    if (op.op != "get" && op.result != OpResult::kFail && seen.insert(op.key).second) keys.push_back(op.key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool ReadBack(Runtime& rt, const std::vector<std::string>& keys, const ReadBackOptions& options,
              std::vector<HistoryOp>& history) {
  KV_ASSERT(options.workload_clients >= 0);
  HistorySequence sequence = HistorySequence::After(history);
  std::unique_ptr<Client> client = rt.Connect(0);
  for (const std::string& key : keys) {
    while (true) {
      HistoryOp op;
      op.client = options.workload_clients;
      op.op = "get";
      op.key = key;
      sequence.Invoke(op, rt.Now());
      ClientResult r = client->Get(key);
      sequence.Complete(op, rt.Now());
      if (r.outcome == Outcome::kOk) {
        if (r.result.kind == core::ResultKind::kValue) op.value = r.result.value;
        history.push_back(std::move(op));
        break;
      }
      if (rt.Now() >= options.deadline) return false;
      rt.SleepUntil(rt.Now() + kReadBackRetryInterval);
    }
  }
  return true;
}

}  // namespace kvlab::workloads
