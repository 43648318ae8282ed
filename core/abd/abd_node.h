// The `abd` policy: a multi-writer atomic register per key over majorities (Attiya, Bar-Noy,
// Dolev; Lynch and Shvartsman's multi-writer form). No leader: any node coordinates.
//   write(v): query a majority for the key's highest tag t, then store (t.stamp + 1, self) -> v at
//             a majority; answer once a majority acknowledged (each after its WAL sync).
//   read:     query a majority, store the highest entry back at a majority (so no later read can
//             see an older value: the write-back), then answer with it.
// Tags are core::Version (stamp, writer id); replicas keep the highest (core::VersionedStore). The
// writer is the coordinating node, which may run several writes of one key at once and may restart
// with a write of its earlier life still in flight: so that two writes never share a tag, a stamp
// is counter << kAbdIncarnationBits | this life's incarnation (drawn at start), and the counter
// also exceeds every counter this node issued in this life.
// A coordinator resends its current phase to the replicas that have not answered every
// retry_ms and gives up after op_timeout_ms (a minority crash costs latency, not availability).
// Commands: GET, SET (no NX/XX/expiry), DEL of one key; anything else is refused with an error.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/env.h"
#include "core/policy/node.h"
#include "core/versioned/register_messages.h"
#include "core/versioned/versioned_replica.h"
#include "core/versioned/versioned_store.h"

namespace kvlab::core {

inline constexpr uint8_t kAbdPolicyTag = 13;
inline constexpr char kAbdWalFile[] = "abd.wal";
inline constexpr char kAbdSnapshotFile[] = "abd.snapshot";
inline constexpr char kAbdSnapshotTmpFile[] = "abd.snapshot.tmp";
inline constexpr size_t kAbdMaxPendingOps = 10'000;  // per coordinator; beyond: -BUSY.
inline constexpr int kAbdIncarnationBits = 20;       // low bits of a stamp: the writer's incarnation.

struct AbdOptions {
  Nanos retry = Millis(50);
  Nanos op_timeout = Millis(1000);
};

class AbdNode final : public Node, private VersionedReplica::Host {
 public:
  AbdNode(const NodeConfig& config, Env& env, AbdOptions options)
      : config_(config), env_(env), options_(options), replica_(*this) {}

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

  const VersionedStore* store() const { return replica_.get(); }
  size_t pending_ops() const { return ops_.size(); }

 private:
  enum class Phase { kQuery, kStore };
  struct PendingOp {
    ReplyHandle handle = 0;
    Command cmd;
    Phase phase = Phase::kQuery;
    std::vector<NodeId> answered;  // replicas that answered the current phase.
    VersionedEntry best;           // query phase: the highest entry seen; store phase: the one stored.
    Result result;                 // the answer once the store phase completes.
    Nanos deadline = 0;
  };

  void ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message);
  void ReplyResult(ReplyHandle handle, Result result);
  // Sends the op's current phase to every member that has not answered it.
  void SendPhase(uint64_t id, const PendingOp& op);
  void QueryDone(uint64_t id, PendingOp& op);
  // A tag above `seen` that no other write of any node or life has.
  Version NextTag(Version seen);
  void StartStore(uint64_t id, PendingOp& op, VersionedEntry entry, Result result);
  void OnQueryReply(NodeId from, const RegQueryReply& m);
  void OnStoreAck(NodeId from, const RegStoreAck& m);
  // Replica side.
  void HandleQuery(NodeId from, const RegQuery& m);
  void HandleStore(NodeId from, const RegStore& m);
  void Dispatch(NodeId from, RegisterMessage m);
  // To a peer through the network; to self through the local inbox (drained after each event).
  void Deliver(NodeId to, RegisterMessage m);
  // VersionedReplica::Host.
  void SendAck(NodeId to, RegStoreAck ack) override { Deliver(to, std::move(ack)); }
  void DrainLocal() override;
  void FailOps() override;
  void Expire();
  bool Counted(PendingOp& op, NodeId from);
  size_t Majority() const { return config_.members.size() / 2 + 1; }
  bool failed() const { return replica_.failed(); }

  NodeConfig config_;
  Env& env_;
  AbdOptions options_;
  VersionedReplica replica_;
  absl::btree_map<uint64_t, PendingOp> ops_;  // by op id: an epoch drawn at start | a counter.
  uint64_t next_op_ = 0;
  uint64_t incarnation_ = 0;                              // < 2^kAbdIncarnationBits, drawn at start.
  uint64_t last_counter_ = 0;                             // the highest counter this life issued.
  std::deque<std::pair<NodeId, RegisterMessage>> local_;  // messages to self, with their sender.
  uint64_t ignored_messages_ = 0;
  uint64_t timeouts_ = 0;
};

}  // namespace kvlab::core
