// The `quorum` policy: Dynamo-style leaderless replication with tunable N, R, W.
//   Placement: a key lives on its N-node preference list (core/quorum/ring.h).
//   Any node coordinates any request. SET/DEL: the coordinator reads the key's version from R
//     replicas, stamps the write with its hybrid logical clock (above what it read) and its id
//     (last writer wins; DEL writes a tombstone) and sends it to the N replicas; it answers after
//     W durable acks. The read first makes a write supersede every write acknowledged before it
//     began (R + W > N) even when clocks are skewed: a plain clock stamp would lose such writes.
//   GET: queries the N replicas and answers the highest version among the first R replies.
//     Read repair pushes that version to every replica that answered an older one: `async`
//     answers at once, `sync` waits for the repaired replicas' acks (bounded by op_timeout).
//   Anti-entropy: every ae_interval_ms a node sends one peer (round robin) a digest of the keys
//     they share, from a cursor on, bounded by kQuorumDigestMaxBytes; the two push each other what
//     the other lacks, so replicas converge after partitions heal and after a node returns with an
//     old disk.
//   Tombstones are collected tombstone_grace_ms after their stamp (the grace in which anti-entropy
//     must have spread them).
//   Sloppy quorum (sloppy=true, off by default): for a write, a replica that has not answered a phase within
//     retry_ms, or is known down (it missed a phase and has sent nothing since), is replaced for
//     that op by the next node on the ring past the preference list (a stand-in). A store goes to a
//     stand-in as a hint (core/quorum/hints.h), which counts towards W and is handed off to the
//     key's replicas when they are reachable again. R + W > N then no longer makes reads see the
//     latest acknowledged write: the promise is eventual only.
// A coordinator resends to silent replicas every retry_ms until all N answered or op_timeout_ms.
// Durability as raft's: a replica acks a store only once its WAL sync covers it.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/env.h"
#include "core/policy/node.h"
#include "core/quorum/hints.h"
#include "core/quorum/quorum_messages.h"
#include "core/quorum/ring.h"
#include "core/versioned/versioned_replica.h"
#include "core/versioned/versioned_store.h"

namespace kvlab::core {

inline constexpr char kQuorumWalFile[] = "quorum.wal";
inline constexpr char kQuorumSnapshotFile[] = "quorum.snapshot";
inline constexpr char kQuorumSnapshotTmpFile[] = "quorum.snapshot.tmp";
inline constexpr size_t kQuorumMaxPendingOps = 10'000;  // per coordinator; beyond: -BUSY.
inline constexpr int kHlcLogicalBits = 16;              // a stamp is (ms << 16) | logical counter.

struct QuorumOptions {
  int n = 3, r = 2, w = 2;
  bool sync_read_repair = false;
  bool sloppy = false;
  Nanos retry = Millis(50);
  Nanos op_timeout = Millis(400);
  Nanos ae_interval = Millis(100);
  Nanos tombstone_grace = Seconds(10);
};

class QuorumNode final : public Node, private VersionedReplica::Host {
 public:
  QuorumNode(const NodeConfig& config, Env& env, QuorumOptions options)
      : config_(config),
        env_(env),
        options_(options),
        ring_(config.members, options.n),
        replica_(*this),
        hints_(*this) {}

  absl::Status Start() override;
  void OnClientRequest(ReplyHandle handle, Command cmd) override;
  void OnMessage(const Message& msg) override;
  void OnTimer(TimerToken token) override;
  void OnSyncDone(SyncToken token, absl::Status status) override;
  void EndTurn() override;

  std::vector<std::pair<std::string, std::string>> Info() const override;
  NodeStatus Status() const override;
  const KvState* AppliedState() const override { return store() ? &store()->live() : nullptr; }
  size_t KeyCount() const override { return store() ? store()->live().size() : 0; }
  bool Ready() const override { return replica_.open(); }
  std::vector<NodeId> ReplicasOf(std::string_view key) const override { return ring_.PreferenceList(key); }

  const VersionedStore* store() const { return replica_.get(); }

 private:
  enum class Phase { kQuery, kStore, kRepair };
  struct PendingOp {
    ReplyHandle handle = 0;
    Command cmd;
    Phase phase = Phase::kQuery;
    std::vector<NodeId> replicas;   // the key's preference list.
    std::vector<NodeId> targets;    // who the current phase goes to (replicas, or the stale ones).
    std::vector<NodeId> stand_ins;  // sloppy: targets that are not replicas (hint holders).
    size_t replaced = 0;            // sloppy: replicas replaced by a stand-in so far.
    Nanos phase_start = 0;
    std::vector<NodeId> answered;                  // replicas that answered the current phase.
    std::vector<std::pair<NodeId, Version>> seen;  // query phase: each replier's version.
    VersionedEntry best;                           // query: the highest seen; store/repair: the entry sent.
    Result result;
    bool replied = false;  // the client has its answer; the op lingers to reach all N.
    size_t needed = 0;     // answers the client's reply waits for in this phase.
    Nanos deadline = 0;
  };

  Version Stamp();
  void Witness(Version v);
  void ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message);
  void Answer(PendingOp& op, ClientReply reply);
  void SendPhase(uint64_t id, const PendingOp& op);
  void StartPhase(uint64_t id, PendingOp& op, Phase phase, size_t needed);
  void QueryDone(uint64_t id, PendingOp& op);
  void Repair(uint64_t id, PendingOp& op, NodeId to, Version seen);
  void OnQueryReply(NodeId from, const RegQueryReply& m);
  void OnStoreAck(NodeId from, const RegStoreAck& m);
  bool Finished(const PendingOp& op) const;
  void HandleQuery(NodeId from, const RegQuery& m);
  void HandleStore(NodeId from, const RegStore& m);
  void HandleDigest(NodeId from, const QuorumDigest& m);
  void HandleWant(NodeId from, const QuorumWant& m);
  void HandleHint(NodeId from, const QuorumHint& m);
  // Sloppy quorum: replaces `silent` replicas of the op by stand-ins (as many as the ring has).
  void StandIn(PendingOp& op, const std::vector<NodeId>& silent);
  void Suspect(uint64_t id, PendingOp& op);
  void Push(NodeId to, const std::string& key);
  void AntiEntropyRound();
  void CollectTombstones();
  bool Shares(const std::string& key, NodeId peer) const;
  void Dispatch(NodeId from, QuorumMessage m);
  void Deliver(NodeId to, QuorumMessage m);
  // VersionedReplica::Host.
  void SendAck(NodeId to, RegStoreAck ack) override { Deliver(to, std::move(ack)); }
  void DrainLocal() override;
  void FailOps() override;
  void Expire();
  bool failed() const { return replica_.failed() || hints_.failed(); }

  NodeConfig config_;
  Env& env_;
  QuorumOptions options_;
  Ring ring_;
  VersionedReplica replica_;
  Hints hints_;                   // opened with sloppy only.
  std::vector<NodeId> suspects_;  // sloppy: peers that missed a phase and have sent nothing since.
  absl::btree_map<uint64_t, PendingOp> ops_;
  uint64_t next_op_ = 0;
  uint64_t hlc_ = 0;  // the last stamp issued or witnessed.
  std::deque<std::pair<NodeId, QuorumMessage>> local_;
  size_t ae_peer_ = 0;     // round robin over the other members.
  std::string ae_cursor_;  // the next digest starts at this key.
  uint64_t ignored_messages_ = 0;
  uint64_t timeouts_ = 0;
  uint64_t read_repairs_ = 0;
  uint64_t ae_pushes_ = 0;
  uint64_t stand_ins_ = 0;
};

}  // namespace kvlab::core
