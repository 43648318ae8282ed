#include "sim/final_reads.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "workloads/client.h"

namespace kvlab::sim {
namespace {

using workloads::HistoryOp;
using workloads::OpResult;

bool IsWrite(const HistoryOp& op) { return op.op == "put" || op.op == "del"; }

void ReadKeys(workloads::Runtime& rt, int client_id, const std::vector<std::string>& keys, core::Nanos deadline,
              FinalReads& out) {
  std::unique_ptr<workloads::Client> client = rt.Connect(client_id);
  for (const std::string& key : keys) {
    while (true) {
      HistoryOp op;
      op.client = client_id;
      op.op = "get";
      op.key = key;
      out.sequence.Invoke(op, rt.Now());
      workloads::ClientResult r = client->Get(key);
      out.sequence.Complete(op, rt.Now());
      if (r.outcome == workloads::Outcome::kOk) {
        if (r.result.kind == core::ResultKind::kValue) op.value = r.result.value;
        out.ops.push_back(std::move(op));
        break;
      }
      if (rt.Now() >= deadline) {
        out.failures.push_back(absl::StrCat("client ", client_id, " could not read key '", key, "' (", r.error, ")"));
        return;
      }
      rt.SleepUntil(std::min(deadline, rt.Now() + kFinalReadRetryInterval));
    }
  }
}

}  // namespace

FinalReadPlan PlanFinalReads(const std::vector<HistoryOp>& history, int clients) {
  absl::btree_map<std::string, core::Nanos> quiet;  // key -> end of its last write.
  for (const HistoryOp& op : history) {
    if (IsWrite(op) && op.result != OpResult::kFail) quiet[op.key] = std::max(quiet[op.key], op.complete_ns);
  }
  absl::btree_map<int, absl::btree_set<std::string>> keys;
  for (const HistoryOp& op : history) {
    if (op.op != "get" || op.result != OpResult::kOk || op.client < 0 || op.client > clients) continue;
    auto q = quiet.find(op.key);
    if (q == quiet.end() || op.invoke_ns >= q->second) keys[op.client].insert(op.key);
  }
  FinalReadPlan plan;
  for (const auto& [client, set] : keys) plan[client].assign(set.begin(), set.end());
  return plan;
}

size_t FinalReadCount(const FinalReadPlan& plan) {
  size_t n = 0;
  for (const auto& [client, keys] : plan) n += keys.size();
  return n;
}

void SpawnFinalReads(workloads::Runtime& rt, const FinalReadPlan& plan, core::Nanos deadline, FinalReads& out) {
  for (const auto& [client, keys] : plan) {
    rt.Spawn([&rt, client = client, &keys = keys, deadline, &out] { ReadKeys(rt, client, keys, deadline, out); });
  }
}

}  // namespace kvlab::sim
