#include "core/abd/abd_policy.h"

#include "absl/strings/str_cat.h"
#include "core/abd/abd_node.h"

namespace kvlab::core {
namespace {

constexpr int kAbdMaxMembers = 15;

int Minority(int nodes) { return (nodes - 1) / 2; }

absl::Status CheckAbdParams(const PolicyParams& params) {
  if (params.Int("retry_ms") >= params.Int("op_timeout_ms")) {
    return absl::InvalidArgumentError(absl::StrCat("abd.retry_ms=", params.Int("retry_ms"),
                                                   ": must be below abd.op_timeout_ms (", params.Int("op_timeout_ms"),
                                                   "), or an op gives up before its first retry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> InspectAbd(Disk& disk) {
  absl::StatusOr<std::unique_ptr<VersionedStore>> store =
      VersionedStore::Open(disk, VersionedFiles{kAbdWalFile, kAbdSnapshotFile, kAbdSnapshotTmpFile}, {.fsync = false});
  if (!store.ok()) return store.status();
  const VersionedStoreStats& s = (*store)->stats();
  return absl::StrCat((*store)->live().size(), " keys, ", (*store)->entries().size(), " entries with tombstones (",
                      s.recovered_records, " records replayed)");
}

absl::StatusOr<PeerMessage> ReencodeAbd(const PeerMessage& m) {
  absl::StatusOr<RegisterMessage> decoded = DecodeRegisterMessage(kAbdPolicyTag, m);
  if (!decoded.ok()) return decoded.status();
  return EncodeRegisterMessage(kAbdPolicyTag, *decoded);
}

absl::StatusOr<std::unique_ptr<Node>> MakeAbd(const NodeConfig& config, const PolicyParams& params, Env& env) {
  AbdOptions o;
  o.retry = Millis(params.Int("retry_ms"));
  o.op_timeout = Millis(params.Int("op_timeout_ms"));
  return std::unique_ptr<Node>(new AbdNode(config, env, o));
}

// Two phases (query, store), each a request and a reply per other member: 4(n - 1) peer messages
// (4n with the coordinator's own replica, which it reaches locally); a read's write-back likewise.
double AbdMessagesPerOp(const PolicyParams&, int nodes) { return 4.0 * (nodes - 1); }

PolicyInfo MakeInfo() {
  PolicyInfo p;
  p.name = "abd";
  p.tag = kAbdPolicyTag;
  p.description = "leaderless atomic register per key over majorities (ABD, multi-writer): linearizable, no elections";
  p.default_nodes = 3;
  p.min_nodes = 1;
  p.max_nodes = kAbdMaxMembers;
  p.promise = Consistency::kLinearizable;
  p.durable = true;
  p.max_faulty = Minority;
  p.messages_per_write = AbdMessagesPerOp;
  p.messages_per_read = AbdMessagesPerOp;
  p.survives = {"crash", "partition", "disk", "clock", "network", "random"};
  p.log_file = kAbdWalFile;
  p.snapshot_file = kAbdSnapshotFile;
  p.inspect = InspectAbd;
  p.params = {
      IntParam("retry_ms", "50", 1, 60'000, "a coordinator resends its phase to silent replicas this often"),
      IntParam("op_timeout_ms", "1000", 2, 600'000, "a coordinator gives up on an operation after this long"),
  };
  p.check_params = CheckAbdParams;
  p.reencode_peer = ReencodeAbd;
  p.make = MakeAbd;
  return p;
}

}  // namespace

const PolicyInfo& AbdPolicy() {
  static const PolicyInfo* const info = new PolicyInfo(MakeInfo());
  return *info;
}

}  // namespace kvlab::core
