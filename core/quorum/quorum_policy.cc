#include "core/quorum/quorum_policy.h"

#include "absl/strings/str_cat.h"
#include "core/quorum/quorum_node.h"

namespace kvlab::core {
namespace {

constexpr int kQuorumMaxMembers = 64;

// Any N-1 of a key's replicas may be down with its data intact; for serving, R and W must still
// be reachable: the tighter of N-R and N-W, capped by the cluster's size.
int Tolerated(int nodes) { return std::max(0, std::min(nodes, 3) - 2); }

absl::Status CheckQuorumParams(const PolicyParams& params) {
  const int64_t n = params.Int("n"), r = params.Int("r"), w = params.Int("w");
  if (r > n || w > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("quorum.r=", r, ", quorum.w=", w, ": each must be at most quorum.n=", n, " (1 <= R, W <= N)"));
  }
  if (params.Int("retry_ms") >= params.Int("op_timeout_ms")) {
    return absl::InvalidArgumentError("quorum.retry_ms must be below quorum.op_timeout_ms");
  }
  return absl::OkStatus();
}

// Strict quorums with R + W > N intersect every write's W: a read sees the latest acknowledged
// write. A sloppy quorum's W may sit on stand-ins outside the key's replicas: eventual only.
Consistency PromiseFor(const PolicyParams& params) {
  const bool overlap = params.Int("r") + params.Int("w") > params.Int("n");
  return overlap && !params.Bool("sloppy") ? Consistency::kEventualReadLatest : Consistency::kEventual;
}

absl::StatusOr<std::string> InspectQuorum(Disk& disk) {
  absl::StatusOr<std::unique_ptr<VersionedStore>> store = VersionedStore::Open(
      disk, VersionedFiles{kQuorumWalFile, kQuorumSnapshotFile, kQuorumSnapshotTmpFile}, {.fsync = false});
  if (!store.ok()) return store.status();
  return absl::StrCat((*store)->live().size(), " keys, ", (*store)->entries().size(), " entries with tombstones (",
                      (*store)->stats().recovered_records, " records replayed)");
}

absl::StatusOr<PeerMessage> ReencodeQuorum(const PeerMessage& m) {
  absl::StatusOr<QuorumMessage> decoded = DecodeQuorumMessage(m);
  if (!decoded.ok()) return decoded.status();
  return EncodeQuorumMessage(*decoded);
}

absl::StatusOr<std::unique_ptr<Node>> MakeQuorum(const NodeConfig& config, const PolicyParams& params, Env& env) {
  QuorumOptions o;
  o.n = static_cast<int>(params.Int("n"));
  o.r = static_cast<int>(params.Int("r"));
  o.w = static_cast<int>(params.Int("w"));
  if (static_cast<size_t>(o.n) > config.members.size()) {
    return absl::InvalidArgumentError(absl::StrCat("quorum.n=", o.n, ": above the cluster's ", config.members.size(),
                                                   " nodes (1 <= R, W <= N <= nodes)"));
  }
  o.sync_read_repair = params.Choice("read_repair") == "sync";
  o.sloppy = params.Bool("sloppy");
  o.retry = Millis(params.Int("retry_ms"));
  o.op_timeout = Millis(params.Int("op_timeout_ms"));
  o.ae_interval = Millis(params.Int("anti_entropy_ms"));
  o.tombstone_grace = Millis(params.Int("tombstone_grace_ms"));
  return std::unique_ptr<Node>(new QuorumNode(config, env, o));
}

// A phase is a request and a reply to each of the N replicas but the coordinator itself (one of
// them with probability N / nodes): 2N(1 - 1/nodes) peer messages. A write has two phases (it reads
// the version first), a read one (read repair and anti-entropy come on top).
double QuorumPhase(const PolicyParams& params, int nodes) {
  const double n = static_cast<double>(params.Int("n"));
  return 2.0 * n * (1.0 - 1.0 / nodes);
}
double QuorumMessagesPerWrite(const PolicyParams& params, int nodes) { return 2.0 * QuorumPhase(params, nodes); }

PolicyInfo MakeInfo() {
  PolicyInfo p;
  p.name = "quorum";
  p.tag = kQuorumPolicyTag;
  p.description =
      "Dynamo-style leaderless N/R/W quorums: consistent hashing, HLC last-writer-wins, read repair, anti-entropy";
  p.default_nodes = 3;
  p.min_nodes = 1;
  p.max_nodes = kQuorumMaxMembers;
  p.promise = Consistency::kEventual;  // at least; PromiseFor: read-latest with R + W > N, not sloppy.
  p.promise_for = PromiseFor;
  p.durable = true;
  p.max_faulty = Tolerated;
  p.messages_per_write = QuorumMessagesPerWrite;
  p.messages_per_read = QuorumPhase;
  p.survives = {"crash", "partition", "disk", "clock", "network", "random"};
  p.log_file = kQuorumWalFile;
  p.snapshot_file = kQuorumSnapshotFile;
  p.inspect = InspectQuorum;
  p.params = {
      IntParam("n", "3", 1, kQuorumMaxMembers, "replicas per key (N <= nodes)"),
      IntParam("r", "2", 1, kQuorumMaxMembers, "replies a read waits for (R <= N)"),
      IntParam("w", "2", 1, kQuorumMaxMembers, "durable acks a write waits for (W <= N)"),
      ChoiceParam("read_repair", "async", {"async", "sync"},
                  "push a read's answer to stale replicas: async answers at once, sync waits for their acks"),
      BoolParam("sloppy", "false",
                "sloppy quorum with hinted handoff: an unreachable replica's share goes to the next healthy node "
                "on the ring (eventual only: R + W > N no longer makes reads see the latest write)"),
      IntParam("retry_ms", "50", 1, 60'000, "a coordinator resends to silent replicas this often"),
      IntParam("op_timeout_ms", "400", 2, 600'000,
               "a coordinator gives up on an operation after this long (below the clients' timeout, so that a write "
               "never takes effect after its client stopped waiting)"),
      IntParam("anti_entropy_ms", "100", 1, 3'600'000, "one digest exchange with one peer this often"),
      IntParam("tombstone_grace_ms", "10000", 0, 86'400'000, "a delete's tombstone is collected after this long"),
  };
  p.check_params = CheckQuorumParams;
  p.reencode_peer = ReencodeQuorum;
  p.make = MakeQuorum;
  return p;
}

}  // namespace

const PolicyInfo& QuorumPolicy() {
  static const PolicyInfo* const info = new PolicyInfo(MakeInfo());
  return *info;
}

}  // namespace kvlab::core
