#include "workloads/synthetic_history.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"

namespace kvlab::workloads {

std::vector<HistoryOp> AtomicRegisterHistory(core::Rng& rng, const SyntheticHistoryOptions& o) {
  struct Effect {
    core::Nanos at;
    size_t index;
  };
  std::vector<HistoryOp> h;
  std::vector<Effect> effects;
  int seq = 0;
  for (int c = 0; c < o.clients; ++c) {
    core::Nanos t = static_cast<core::Nanos>(rng.Uniform(20));
    for (int i = 0; i < o.ops_per_client; ++i) {
      HistoryOp op;
      op.client = c;
      op.key = absl::StrCat("k", rng.Uniform(o.keys));
      op.op = rng.Uniform(2) ? "put" : "get";
      if (op.op == "put") op.value = absl::StrCat("v", seq++);
      op.invoke_ns = t;
      op.complete_ns = t + 1 + static_cast<core::Nanos>(rng.Uniform(50));
      const uint32_t outcome = static_cast<uint32_t>(rng.Uniform(1'000'000));
      op.result = outcome < o.unknown_ppm                ? OpResult::kUnknown
                  : outcome < o.unknown_ppm + o.fail_ppm ? OpResult::kFail
                                                         : OpResult::kOk;
      const bool applies = op.result == OpResult::kOk || (op.result == OpResult::kUnknown && rng.Uniform(2));
      if (applies) {
        const core::Nanos end = op.result == OpResult::kUnknown ? op.complete_ns + 100 : op.complete_ns;
        effects.push_back({op.invoke_ns + static_cast<core::Nanos>(rng.Uniform(end - op.invoke_ns + 1)), h.size()});
      }
      h.push_back(op);
      t = op.complete_ns + static_cast<core::Nanos>(rng.Uniform(10));
    }
  }
  std::stable_sort(effects.begin(), effects.end(), [](const Effect& a, const Effect& b) { return a.at < b.at; });
  std::map<std::string, std::optional<std::string>> store;
  for (const Effect& e : effects) {
    HistoryOp& op = h[e.index];
    if (op.op == "put") {
      store[op.key] = op.value;
    } else {
      op.value = store[op.key];
    }
  }
  return h;
}

}  // namespace kvlab::workloads
