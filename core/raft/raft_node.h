// The `raft` replication policy: a Raft node (Ongaro's thesis; section numbers cite it) serving the
// KvState through a replicated log. Leader election with PreVote, pipelined log replication with
// fast back-tracking, commit by majority of current-term entries, ReadIndex reads, snapshots with
// chunked InstallSnapshot, and forwarding of client requests from followers to the leader.
//
// Durability: EndTurn starts one asynchronous sync of the log records written so far (term/vote
// included; at most one in flight, later records wait for the next). Messages that vouch for
// durable state (RequestVote, a vote, a successful append reply, a snapshot reply) are held until
// the sync covering the state they vouch for completes; the rest (AppendEntries, heartbeats,
// PreVote) leave when the turn ends, so a leader replicates in parallel with its own fsync
// (thesis §10.2.1) and counts itself toward a commit only up to what its own disk has synced.
// Client replies leave once committed and applied (a majority holds the entry durably). A failed
// sync or write stops the node (Status().failed) until it is restarted.
// Handlers live in raft_{node,election,replication,snapshot,client}.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "core/env.h"
#include "core/kv/kv_state.h"
#include "core/kv/kv_state_decoder.h"
#include "core/policy/node.h"
#include "core/raft/raft_config.h"
#include "core/raft/raft_log.h"
#include "core/raft/raft_snapshot_bytes.h"
#include "core/raft/raft_storage.h"

namespace kvlab::core {

enum class RaftRole : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RaftRoleName(RaftRole role);
// The configuration a node starts with before its log says otherwise: NodeConfig::members, or
// none for a node that joins a running cluster.
std::vector<RaftMember> BootstrapMembers(const NodeConfig& config);

namespace raft_detail {

// Where a client request came from: a local client (handle) or a follower's forward.
struct Origin {
  NodeId via = kNoNode;  // kNoNode: a local client.
  ReplyHandle handle = 0;
  uint64_t forward_id = 0;
};
struct Request {
  Origin origin;
  Command cmd;
  Nanos deadline = 0;
};
struct Proposal {
  Origin origin;
  uint64_t term = 0;
};
struct ReadRound {
  uint64_t seq = 0;
  uint64_t read_index = 0;
  std::vector<Request> reads;
};
struct Forwarded {
  ReplyHandle handle = 0;
  bool read_only = false;
  Nanos deadline = 0;
  NodeId to = kNoNode;  // the leader it was sent to.
};
struct Peer {
  NodeId id = kNoNode;
  uint64_t next = 1;
  uint64_t match = 0;
  std::deque<uint64_t> inflight;  // last index of each unacknowledged AppendEntries.
  // Where the pipeline last restarted after a rejection (none: UINT64_MAX). While it is in flight,
  // rejections asking for this index or a later one are the rest of the old pipeline answering:
  // restarting again for each would resend the whole pipeline per rejection (a message storm
  // that, with one entry per message, never reaches the entry the follower lacks).
  uint64_t probe = UINT64_MAX;
  Nanos last_progress = 0;  // last send into an empty pipeline or acknowledgement.
  Nanos last_ack = 0;       // any reply in the current term (check quorum).
  uint64_t acked_read_seq = 0;
  bool snapshotting = false;     // an InstallSnapshot transfer is in progress.
  uint64_t snapshot_offset = 0;  // acknowledged bytes of that transfer.
  uint64_t snapshot_index = 0;   // which snapshot is being sent.
};

}  // namespace raft_detail

class RaftNode final : public Node {
 public:
  RaftNode(const NodeConfig& config, Env& env, RaftOptions options = {});

  absl::Status Start() override;
  void OnClientRequest(ReplyHandle handle, Command cmd) override;
  void OnMessage(const Message& msg) override;
  void OnTimer(TimerToken token) override;
  void OnSyncDone(SyncToken token, absl::Status status) override;
  void OnPeerLost(NodeId peer) override;
  void EndTurn() override;
  std::vector<std::pair<std::string, std::string>> Info() const override;
  NodeStatus Status() const override;
  const KvState* AppliedState() const override { return started_ ? &state_ : nullptr; }
  size_t KeyCount() const override { return state_.size(); }
  bool Ready() const override;
  const std::vector<Member>* Membership() const override { return &members_; }

  // Introspection for tests and reports.
  RaftRole role() const { return role_; }
  uint64_t term() const { return hard_.term; }
  NodeId voted_for() const { return hard_.voted_for; }
  NodeId leader() const { return leader_; }
  uint64_t commit_index() const { return commit_; }
  uint64_t applied_index() const { return applied_; }
  const RaftLog& log() const { return log_; }
  const KvState& state() const { return state_; }
  uint64_t snapshot_index() const { return snapshot_index_; }
  uint64_t synced_index() const { return synced_index_; }
  size_t held_messages() const { return held_messages_.size(); }
  bool sync_in_flight() const { return storage_.sync_in_flight(); }
  size_t pending_requests() const;
  // The configuration in use (the latest in the log, committed or not; §4.1), sorted by id.
  const std::vector<RaftMember>& members() const { return members_; }
  bool IsMember(NodeId id) const;

 private:
  using Origin = raft_detail::Origin;
  using Request = raft_detail::Request;
  using Proposal = raft_detail::Proposal;
  using ReadRound = raft_detail::ReadRound;
  using Forwarded = raft_detail::Forwarded;
  using Peer = raft_detail::Peer;

  // raft_node.cc: roles, persistence, turn handling.
  void Tick();
  // Raft's own messages, and client messages to a peer (forwarded requests and their replies).
  void Send(NodeId to, const RaftMessage& m);
  void SendClientMessage(NodeId to, MessageType type, MessageBody body);
  // Starts the sync of the records written so far (if needed), noting the log index it covers.
  void StartSync();
  // The log was cut or replaced: no sync can vouch for entries after `last` any more.
  void CapSyncedIndex(uint64_t last);
  // Everything in the log is durable (it was rewritten and renamed into place).
  void NoteLogRewritten();
  void SendReply(const Origin& origin, ClientReply reply);
  void ReplyError(const Origin& origin, core::ReplyStatus status, std::string message);
  void SetHardState(uint64_t term, NodeId voted_for);
  void Persist(absl::Status s);
  void Fail(const absl::Status& s);
  void ResetElectionDeadline();
  void BecomeFollower(uint64_t term, NodeId leader);
  void BecomeLeader();
  void SetLeader(NodeId leader);
  void CheckQuorum();
  size_t Majority() const { return members_.size() / 2 + 1; }
  // 1 when this node counts toward its configuration's majorities (it is a member), else 0.
  size_t SelfCount() const { return IsMember(config_.self) ? 1 : 0; }
  Peer* FindPeer(NodeId id);

  // raft_election.cc (§5.2, §5.4.1, §9.6).
  void StartPreVote();
  void StartElection();
  void OnVoteRequest(NodeId from, const RaftVoteRequest& m);
  void OnVoteReply(NodeId from, const RaftVoteReply& m);

  // raft_replication.cc (§5.3, §5.4.2).
  void Replicate(bool heartbeat);
  void SendAppend(Peer& p, bool heartbeat);
  void OnAppend(NodeId from, const RaftAppend& m);
  bool CoveredBySyncedLog(const RaftMessage& m) const;
  void OnAppendRejected(raft_detail::Peer& p, const RaftAppendReply& m);
  void OnAppendReply(NodeId from, const RaftAppendReply& m);
  void NotePeerAck(Peer& p, uint64_t read_seq);
  void AdvanceCommit();
  void ApplyCommitted();
  uint64_t Propose(RaftEntry e);

  // raft_membership.cc (thesis §4.1: one server added or removed at a time).
  void ProposeMembershipChange(Request req);
  // Makes `members` (from the entry at `index`, or 0 for the snapshot's) the configuration in use
  // and rebuilds peers_, keeping the replication state of the peers that stay.
  void UseConfiguration(std::vector<RaftMember> members, uint64_t index);
  // The latest configuration in the log, else the snapshot's: after a truncation or an install.
  void RecomputeConfiguration();
  // The index of the latest configuration entry at or below `index` still in the log; 0: none
  // (the snapshot's configuration holds there).
  uint64_t ConfigIndexAt(uint64_t index) const;
  // The configuration as of log index `index` (for a snapshot taken there).
  const std::vector<RaftMember>& ConfigurationAt(uint64_t index) const;
  // A committed configuration without this node: a leader steps down, nobody stands for election.
  void NoteConfigurationCommitted(const RaftEntry& e);
  // A snapshot's first bytes: the configuration as of its index; the KvState encoding follows.
  static void EncodeSnapshotConfig(const std::vector<RaftMember>& members, ByteWriter& w);
  // Decodes what EncodeSnapshotData wrote (or an older snapshot without a configuration, whose
  // configuration is `fallback`).
  // The configuration at the start of a snapshot, or `fallback` for one without.
  static absl::Status DecodeSnapshotConfig(ByteReader& r, const std::vector<RaftMember>& fallback,
                                           std::vector<RaftMember>* members);
  static absl::Status DecodeSnapshotData(std::string_view data, const std::vector<RaftMember>& fallback,
                                         std::vector<RaftMember>* members, KvState* state);

  // raft_snapshot.cc (§5.4, §7).
  // Starts a snapshot when enough log follows the last one (or encodes the next slice of the one
  // under way): the state is frozen now and encoded kRaftSnapshotEncodeSliceBytes a turn.
  void MaybeSnapshot();
  // Encodes the next slice of the frozen state into a piece of the snapshot being written; after
  // the last one, the snapshot is the node's (FinishSnapshotEncoding).
  void EncodeSnapshotSlice();
  void FinishSnapshotEncoding();
  // A snapshot replaces the one being encoded (InstallSnapshot): the view closes.
  void AbandonSnapshotEncoding();
  // Carries the snapshot being written one step on (RaftStorage::PumpSnapshot).
  void PumpSnapshot();
  // Where a snapshot at `index` compacts the log to: `index`, except on a leader that keeps the
  // entries a follower close behind needs (kRaftSnapshotCatchUp*). The log's base may then lie
  // below snapshot_index_; a restart compacts to the snapshot (RaftStorage::Recover).
  uint64_t CompactionPoint(uint64_t index) const;
  void SendSnapshotChunk(Peer& p);
  void OnSnapshotChunk(NodeId from, const RaftSnapshotChunk& m);
  void OnSnapshotReply(NodeId from, const RaftSnapshotReply& m);
  // Decodes a chunk in sequence (the first starts the decoder); false on bad bytes.
  bool DecodeSnapshotChunk(const RaftSnapshotChunk& m);
  // Installs the snapshot whose chunks (`data`) recv_decoder_ has decoded, if they decode whole.
  void InstallSnapshot(uint64_t index, uint64_t term, std::string data);

  // raft_client.cc: requests, forwarding, ReadIndex (§6.4).
  void Accept(Origin origin, Command cmd);
  void Route(Request req);
  void ServeAsLeader(Request req);
  void Forward(Request req);
  void OnForwardRequest(NodeId from, const ClientRequest& req);
  void OnForwardReply(const ClientReply& reply);
  void DispatchWaiting();
  void StartReadRound();
  void ConfirmReadRounds();
  void ServeReadyReads();
  void ExpireRequests();
  void AbandonLeaderWork();
  // Answers (and forgets) the forwarded requests `settle` picks: a write kUnknown, a read kTryAgain.
  void SettleForwards(absl::FunctionRef<bool(const Forwarded&)> settle, const char* why);

  NodeConfig config_;
  Env& env_;
  RaftOptions options_;
  RaftStorage storage_;
  absl::Status failed_;  // a storage error stops the node from serving.
  bool started_ = false;

  RaftHardState hard_;
  RaftRole role_ = RaftRole::kFollower;
  NodeId leader_ = kNoNode;
  RaftLog log_;
  KvState state_;
  uint64_t commit_ = 0;
  uint64_t applied_ = 0;
  uint64_t snapshot_index_ = 0;
  uint64_t snapshot_term_ = 0;
  // The latest snapshot's bytes (configuration + KvState encoding), served to followers in
  // InstallSnapshot chunks: the pieces it was encoded in, shared with the storage's writer until
  // they are on disk. No second copy of the state.
  std::shared_ptr<const RaftSnapshotBytes> snapshot_ = std::make_shared<const RaftSnapshotBytes>();
  // The snapshot being encoded from state_'s frozen view (null: none), with its index, term and
  // configuration as of the freeze. It becomes snapshot_ once encoded.
  std::shared_ptr<RaftSnapshotBytes> encoding_;
  uint64_t encoding_index_ = 0;
  uint64_t encoding_term_ = 0;
  std::vector<RaftMember> encoding_members_;

  std::vector<RaftMember> members_;       // the configuration in use.
  uint64_t config_index_ = 0;             // the log index members_ came from; 0: the snapshot's.
  std::vector<RaftMember> base_members_;  // the snapshot's configuration (at start: the bootstrap one).
  uint64_t membership_changes_ = 0;       // configuration entries this node has taken up.

  Nanos election_deadline_ = 0;
  Nanos last_leader_contact_ = INT64_MIN / 2;  // long ago.
  Nanos next_heartbeat_ = 0;
  Nanos leader_since_ = 0;
  absl::btree_set<NodeId> votes_;
  std::vector<Peer> peers_;     // every member but self, in id order.
  uint64_t noop_index_ = 0;     // this leader's first entry; reads wait until it is committed.
  uint64_t synced_index_ = 0;   // last log index covered by a completed sync (the leader counts itself).
  uint64_t syncing_index_ = 0;  // last log index the sync in flight covers.
  bool force_heartbeat_ = false;

  // Follower side of an InstallSnapshot transfer.
  uint64_t recv_snapshot_index_ = 0;
  uint64_t recv_snapshot_term_ = 0;
  std::string recv_snapshot_;
  // Each chunk is decoded as it arrives (no turn decodes a whole state): its configuration from
  // the first chunk, then the state's entries.
  std::unique_ptr<KvStateDecoder> recv_decoder_;
  std::vector<RaftMember> recv_members_;

  // Client requests, each bounded by kMaxPendingClientRequests in total.
  std::vector<Request> waiting_;                           // no known leader yet.
  absl::btree_map<uint64_t, Forwarded> forwarded_;         // by forward id.
  absl::btree_map<uint64_t, Proposal> proposals_;          // leader: by log index.
  std::vector<Request> reads_unstarted_;                   // leader: wait for the next round.
  std::deque<ReadRound> read_rounds_;                      // leader: awaiting majority acks.
  std::vector<std::pair<uint64_t, Request>> reads_ready_;  // confirmed, wait for apply.
  uint64_t read_seq_ = 0;       // last read round's seq in this leadership (term << 32 | count), or 0.
  uint64_t forward_epoch_ = 0;  // random per incarnation: forward ids never repeat across restarts.
  uint64_t next_forward_id_ = 1;
  absl::btree_set<std::pair<NodeId, uint64_t>> seen_forwards_;  // duplicate suppression.
  std::deque<std::pair<NodeId, uint64_t>> seen_order_;

  // The turn's effects, sent when it ends; messages vouching for durable state wait in
  // held_messages_ for the write mark they need.
  std::vector<std::pair<NodeId, Message>> out_messages_;
  std::vector<std::pair<ReplyHandle, ClientReply>> out_replies_;
  HeldEffects<std::pair<NodeId, Message>> held_messages_;

  uint64_t elections_ = 0;
  uint64_t leader_losses_seen_ = 0;  // OnPeerLost hints about the leader acted on.
  uint64_t snapshots_taken_ = 0;
  uint64_t snapshots_installed_ = 0;
  bool torn_tail_cut_ = false;
  uint64_t bad_messages_ = 0;  // peer messages that failed to decode (dropped).
};

}  // namespace kvlab::core
