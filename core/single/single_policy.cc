#include "core/single/single_policy.h"

#include "absl/strings/str_cat.h"
#include "core/kv/kv_store.h"
#include "core/single/single_node.h"

namespace kvlab::core {
namespace {

// Messages of the single policy's tag never exist (it has no peers); the tag is reserved.
constexpr uint8_t kSinglePolicyTag = 1;

int NoFaultyNode(int) { return 0; }

absl::StatusOr<std::string> InspectSingle(Disk& disk) {
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(disk, {.fsync = false});
  if (!store.ok()) return store.status();
  const KvStoreStats& s = (*store)->stats();
  return absl::StrCat((*store)->state().size(), " keys at LSN ", (*store)->last_lsn(), " (snapshot at LSN ",
                      s.snapshot_lsn, ", ", s.recovered_records, " records replayed)");
}

absl::StatusOr<std::unique_ptr<Node>> MakeSingle(const NodeConfig& config, const PolicyParams&, Env& env) {
  return std::unique_ptr<Node>(new SingleNode(config, env));
}

PolicyInfo MakeInfo() {
  PolicyInfo p;
  p.name = "single";
  p.tag = kSinglePolicyTag;
  p.description = "one node, WAL with group commit: the baseline (no replication)";
  p.default_nodes = p.min_nodes = p.max_nodes = 1;
  p.promise = Consistency::kLinearizable;
  p.durable = true;
  p.transactions = true;  // kExec is one WAL record / one log entry, applied in one step.
  // Its only copy: a crash is survived (the WAL), a corrupt disk is detected and refused.
  p.max_faulty = NoFaultyNode;
  p.survives = {"crash", "clock"};
  p.log_file = kWalFileName;
  p.snapshot_file = kSnapshotFileName;
  p.inspect = InspectSingle;
  p.make = MakeSingle;
  return p;
}

}  // namespace

const PolicyInfo& SinglePolicy() {
  static const PolicyInfo* const info = new PolicyInfo(MakeInfo());
  return *info;
}

}  // namespace kvlab::core
