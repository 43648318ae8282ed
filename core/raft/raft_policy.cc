#include "core/raft/raft_policy.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/raft/raft_node.h"
#include "core/raft/raft_storage.h"

namespace kvlab::core {
namespace {

int Minority(int nodes) { return (nodes - 1) / 2; }

// raft.heartbeat_ms, or when it is 0 (the default) a fixed fraction of the election timeout's low
// end, never below 1 ms.
int64_t HeartbeatMs(const PolicyParams& params) {
  const int64_t given = params.Int("heartbeat_ms");
  if (given != 0) return given;
  return std::max<int64_t>(1, params.Range("election_timeout_ms").first / kRaftHeartbeatsPerElectionMin);
}

// Relations between parameters that their bounds alone cannot express.
absl::Status CheckRaftParams(const PolicyParams& params) {
  const auto [election_lo, election_hi] = params.Range("election_timeout_ms");
  const int64_t heartbeat = HeartbeatMs(params);
  if (2 * heartbeat >= election_lo) {
    return absl::InvalidArgumentError(absl::StrCat("raft.heartbeat_ms=", heartbeat,
                                                   ": must be below half of raft.election_timeout_ms's low end (",
                                                   election_lo, "), or followers time out between heartbeats"));
  }
  (void)election_hi;
  return absl::OkStatus();
}

absl::StatusOr<std::string> InspectRaft(Disk& disk) {
  RaftStorage storage(disk, /*fsync=*/false);
  absl::StatusOr<RaftRecovered> rec = storage.Recover();
  if (!rec.ok()) return rec.status();
  size_t keys = 0;
  if (rec->snapshot_index > 0) {
    ByteReader r(rec->snapshot_state);
    absl::StatusOr<KvState> state = KvState::DecodeSnapshot(r);
    if (!state.ok()) {
      return absl::DataLossError(
          absl::StrCat("raft snapshot: file '", kRaftSnapshotFile, "': ", state.status().message()));
    }
    keys = state->size();
  }
  return absl::StrCat("term ", rec->hard_state.term, ", log entries up to ", rec->log.last_index(), " (", rec->records,
                      " records), snapshot at index ", rec->snapshot_index, " with ", keys, " keys");
}

absl::StatusOr<PeerMessage> ReencodeRaft(const PeerMessage& m) {
  absl::StatusOr<RaftMessage> decoded = DecodeRaftMessage(m);
  if (!decoded.ok()) return decoded.status();
  return EncodeRaftMessage(*decoded);
}

absl::StatusOr<std::unique_ptr<Node>> MakeRaft(const NodeConfig& config, const PolicyParams& params, Env& env) {
  return std::unique_ptr<Node>(new RaftNode(config, env, RaftOptionsFrom(params)));
}

// The leader's AppendEntries to each follower and its reply; a read's ReadIndex round likewise.
double RaftMessagesPerOp(const PolicyParams&, int nodes) { return 2.0 * (nodes - 1); }

PolicyInfo MakeInfo() {
  PolicyInfo p;
  p.name = "raft";
  p.tag = kRaftPolicyTag;
  p.description = "leader election with PreVote, log replication, majority commit, ReadIndex reads, snapshots";
  p.default_nodes = 3;
  p.min_nodes = 1;
  p.max_nodes = static_cast<int>(kRaftMaxMembers);
  p.promise = Consistency::kLinearizable;
  p.durable = true;
  p.transactions = true;  // kExec is one WAL record / one log entry, applied in one step.
  p.max_faulty = Minority;
  p.messages_per_write = RaftMessagesPerOp;
  p.messages_per_read = RaftMessagesPerOp;
  p.survives = {"crash", "partition", "disk", "clock", "network", "random"};
  p.log_file = kRaftLogFile;
  p.snapshot_file = kRaftSnapshotFile;
  p.inspect = InspectRaft;
  p.params = {
      RangeParam("election_timeout_ms", "150..300", 10, 60'000, "randomized election timeout (§5.2)"),
      IntParam("heartbeat_ms", "0", 0, 10'000,
               "leader heartbeat period when idle; 0: a third of election_timeout_ms's low end (50 by default)"),
      IntParam("max_append_entries", "512", 1, static_cast<int64_t>(kRaftMaxEntriesPerAppend),
               "entries per AppendEntries"),
      IntParam("max_inflight_appends", "4", 1, static_cast<int64_t>(kRaftMaxInflightAppends),
               "pipelined AppendEntries per follower"),
      IntParam("snapshot_entries", "10000", 8, 1'000'000'000,
               "applied entries after which a node snapshots and compacts its log"),
      IntParam("snapshot_log_mib", "64", 1, 1'000'000,
               "log MiB after which a node snapshots (or the last snapshot's size, if larger)"),
      BoolParam("pre_vote", "true", "PreVote before an election (§9.6)"),
      BoolParam("check_quorum", "true", "a leader without a live majority steps down (§6.2)"),
  };
  p.check_params = CheckRaftParams;
  p.reencode_peer = ReencodeRaft;
  p.make = MakeRaft;
  return p;
}

}  // namespace

const PolicyInfo& RaftPolicy() {
  static const PolicyInfo* const info = new PolicyInfo(MakeInfo());
  return *info;
}

RaftOptions RaftOptionsFrom(const PolicyParams& params) {
  RaftOptions o;
  const auto [lo, hi] = params.Range("election_timeout_ms");
  o.election_min = Millis(lo);
  o.election_max = Millis(hi);
  o.heartbeat = Millis(HeartbeatMs(params));
  o.max_entries_per_append = static_cast<size_t>(params.Int("max_append_entries"));
  o.max_inflight_appends = static_cast<size_t>(params.Int("max_inflight_appends"));
  o.snapshot_every_entries = static_cast<uint64_t>(params.Int("snapshot_entries"));
  o.snapshot_min_log_bytes = static_cast<uint64_t>(params.Int("snapshot_log_mib")) << 20;
  o.pre_vote = params.Bool("pre_vote");
  o.check_quorum = params.Bool("check_quorum");
  return o;
}

}  // namespace kvlab::core
