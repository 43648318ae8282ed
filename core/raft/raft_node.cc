// RaftNode: lifecycle, roles, timers and the turn structure (group commit, held effects).
#include "core/raft/raft_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::core {

namespace {
constexpr TimerToken kTickToken = 1;

// Messages a crash must not be able to take back: term and vote are persisted before a
// RequestVote or a vote leaves; a successful append reply and a snapshot reply promise that the
// entries or the snapshot are on disk. A PreVote changes nothing, and AppendEntries, heartbeats
// and rejections depend on nothing the sender has not made durable before.
bool VouchesForDurableState(const RaftMessage& m) {
  if (const auto* v = std::get_if<RaftVoteRequest>(&m)) return !v->pre_vote;
  if (const auto* v = std::get_if<RaftVoteReply>(&m)) return !v->pre_vote;
  if (const auto* a = std::get_if<RaftAppendReply>(&m)) return a->success;
  return std::holds_alternative<RaftSnapshotReply>(m);
}
}  // namespace

const char* RaftRoleName(RaftRole role) {
  switch (role) {
    case RaftRole::kFollower: return "follower";
    case RaftRole::kPreCandidate: return "precandidate";
    case RaftRole::kCandidate: return "candidate";
    case RaftRole::kLeader: return "leader";
  }
  return "?";
}

RaftNode::RaftNode(const NodeConfig& config, Env& env, RaftOptions options)
    : config_(config), env_(env), options_(options), storage_(env.disk(), config.fsync) {
  KV_ASSERT(!config_.members.empty() && config_.members.size() <= kRaftMaxMembers);
  KV_ASSERT(std::is_sorted(config_.members.begin(), config_.members.end()));
  KV_ASSERT(config_.join || std::binary_search(config_.members.begin(), config_.members.end(), config_.self));
  base_members_ = BootstrapMembers(config_);
  UseConfiguration(base_members_, 0);
  membership_changes_ = 0;
}

absl::Status RaftNode::Start() {
  absl::StatusOr<RaftRecovered> rec = storage_.Recover();
  if (!rec.ok()) return rec.status();
  if (rec->snapshot_index > 0) {
    std::vector<RaftMember> members;
    env_.ChargeBulkBytes(rec->snapshot_state.size());
    if (absl::Status s = DecodeSnapshotData(rec->snapshot_state, base_members_, &members, &state_); !s.ok()) return s;
    base_members_ = std::move(members);
  }
  hard_ = rec->hard_state;
  log_ = std::move(rec->log);
  RecomputeConfiguration();
  snapshot_index_ = commit_ = applied_ = rec->snapshot_index;
  snapshot_term_ = rec->snapshot_term;
  snapshot_ = std::make_shared<const RaftSnapshotBytes>(std::move(rec->snapshot_state));
  synced_index_ = syncing_index_ = log_.last_index();
  torn_tail_cut_ = rec->torn_tail_cut;
  forward_epoch_ = env_.rng().Next() & 0xFFFF'FFFFull;
  started_ = true;
  ResetElectionDeadline();
  env_.SetTimer(options_.tick(), kTickToken);
  return absl::OkStatus();
}

void RaftNode::OnMessage(const Message& msg) {
  if (!started_ || !failed_.ok()) return;
  // Messages from servers outside this node's configuration are served too (thesis §4.1): a
  // leader of a newer configuration, a member this node has not heard of yet, or a removed
  // server (PreVote keeps it from disturbing the cluster).
  if (msg.from == config_.self || msg.from == kNoNode) return;
  if (msg.type == MessageType::kForwardRequest) return OnForwardRequest(msg.from, std::get<ClientRequest>(msg.body));
  if (msg.type == MessageType::kForwardReply) return OnForwardReply(std::get<ClientReply>(msg.body));
  if (msg.type != MessageType::kPeer) return;
  // Raft decodes its own messages: bytes from the network are untrusted.
  absl::StatusOr<RaftMessage> decoded = DecodeRaftMessage(std::get<PeerMessage>(msg.body));
  if (!decoded.ok()) {
    ++bad_messages_;
    return;
  }
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RaftVoteRequest>) {
          OnVoteRequest(msg.from, body);
        } else if constexpr (std::is_same_v<T, RaftVoteReply>) {
          OnVoteReply(msg.from, body);
        } else if constexpr (std::is_same_v<T, RaftAppend>) {
          OnAppend(msg.from, body);
        } else if constexpr (std::is_same_v<T, RaftAppendReply>) {
          OnAppendReply(msg.from, body);
        } else if constexpr (std::is_same_v<T, RaftSnapshotChunk>) {
          OnSnapshotChunk(msg.from, body);
        } else if constexpr (std::is_same_v<T, RaftSnapshotReply>) {
          OnSnapshotReply(msg.from, body);
        }
      },
      *decoded);
}

void RaftNode::OnTimer(TimerToken token) {
  if (token != kTickToken || !started_) return;
  env_.SetTimer(options_.tick(), kTickToken);
  if (failed_.ok()) Tick();
}

void RaftNode::Tick() {
  const Nanos now = env_.Now();
  ExpireRequests();
  if (role_ == RaftRole::kLeader) {
    if (options_.check_quorum) CheckQuorum();
    if (role_ == RaftRole::kLeader && now >= next_heartbeat_) {
      force_heartbeat_ = true;
      next_heartbeat_ = now + options_.heartbeat;
    }
  } else if (now >= election_deadline_ && IsMember(config_.self)) {
    if (options_.pre_vote) {
      StartPreVote();
    } else {
      StartElection();
    }
  }
}

void RaftNode::OnSyncDone(SyncToken token, absl::Status status) {
  if (!started_ || !failed_.ok()) return;
  if (absl::Status s = storage_.OnSyncDone(token, status); !s.ok()) return Fail(s);
  if (!storage_.sync_in_flight()) synced_index_ = std::max(synced_index_, syncing_index_);
  // EndTurn follows: it releases the messages now durable and lets the leader count itself.
}

void RaftNode::EndTurn() {
  if (!started_) return;
  if (failed_.ok()) {
    // Nothing unsynced and no sync under way (always so with fsync off): the whole log counts.
    if (storage_.all_durable()) synced_index_ = log_.last_index();
    if (role_ == RaftRole::kLeader) {
      StartReadRound();
      Replicate(force_heartbeat_);
      force_heartbeat_ = false;
      AdvanceCommit();
    }
    ApplyCommitted();
    ServeReadyReads();
    MaybeSnapshot();
    // Before StartSync, so that a piece's sync queues ahead of the log's.
    PumpSnapshot();
    // Group commit: one sync covers every record so far (term, vote, entries); the messages that
    // vouch for them leave in the turn whose OnSyncDone covers them.
    StartSync();
    held_messages_.Release(storage_.durable(),
                           [this](std::pair<NodeId, Message> m) { out_messages_.push_back(std::move(m)); });
  }
  std::vector<std::pair<NodeId, Message>> messages = std::move(out_messages_);
  std::vector<std::pair<ReplyHandle, ClientReply>> replies = std::move(out_replies_);
  out_messages_.clear();
  out_replies_.clear();
  if (failed_.ok()) {
    for (auto& [to, msg] : messages) env_.Send(to, std::move(msg));
  }
  for (auto& [handle, reply] : replies) env_.Reply(handle, std::move(reply));
}

void RaftNode::StartSync() {
  if (storage_.StartSync()) syncing_index_ = log_.last_index();
}

void RaftNode::CapSyncedIndex(uint64_t last) {
  synced_index_ = std::min(synced_index_, last);
  syncing_index_ = std::min(syncing_index_, last);
}

void RaftNode::NoteLogRewritten() {
  CapSyncedIndex(log_.last_index());
  synced_index_ = log_.last_index();
}

void RaftNode::Send(NodeId to, const RaftMessage& m) {
  Message msg;
  msg.type = MessageType::kPeer;
  msg.from = config_.self;
  msg.to = to;
  msg.body = EncodeRaftMessage(m);
  if (VouchesForDurableState(m) && !CoveredBySyncedLog(m)) {
    held_messages_.Hold(storage_.mark(), {to, std::move(msg)});
  } else {
    out_messages_.emplace_back(to, std::move(msg));
  }
}

// An append ack vouches only for the entries up to its match_index: when a completed sync already
// covers them (a heartbeat's ack, mostly), it leaves at once instead of waiting behind the sync
// of later writes. A slow fsync then no longer delays the leader's ReadIndex rounds and lease.
// (Its term needs no sync: a term learned from an append carries no vote to take back.)
bool RaftNode::CoveredBySyncedLog(const RaftMessage& m) const {
  const auto* a = std::get_if<RaftAppendReply>(&m);
  return a != nullptr && a->success && a->match_index <= synced_index_;
}

void RaftNode::SendClientMessage(NodeId to, MessageType type, MessageBody body) {
  Message msg;
  msg.type = type;
  msg.from = config_.self;
  msg.to = to;
  msg.body = std::move(body);
  out_messages_.emplace_back(to, std::move(msg));
}

void RaftNode::SendReply(const Origin& origin, ClientReply reply) {
  if (origin.via == kNoNode) {
    out_replies_.emplace_back(origin.handle, std::move(reply));
    return;
  }
  reply.request_id = origin.forward_id;
  SendClientMessage(origin.via, MessageType::kForwardReply, std::move(reply));
}

void RaftNode::ReplyError(const Origin& origin, core::ReplyStatus status, std::string message) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(message);
  SendReply(origin, std::move(reply));
}

void RaftNode::SetHardState(uint64_t term, NodeId voted_for) {
  KV_ASSERT(term >= hard_.term);
  hard_ = RaftHardState{term, voted_for};
  Persist(storage_.AppendHardState(hard_));
}

void RaftNode::Persist(absl::Status s) {
  if (!s.ok() && failed_.ok()) Fail(s);
}

// A storage error: the node can no longer promise durability, so it steps down and stops taking
// part (no acks, no votes). Held messages are dropped (they may depend on the failed write);
// clients get an answer.
void RaftNode::Fail(const absl::Status& s) {
  failed_ = s;
  held_messages_.DropAll([](std::pair<NodeId, Message>) {});
  if (role_ == RaftRole::kLeader) AbandonLeaderWork();
  role_ = RaftRole::kFollower;
  leader_ = kNoNode;
  for (Request& r : waiting_) ReplyError(r.origin, ReplyStatus::kTryAgain, "TRYAGAIN node storage failed");
  waiting_.clear();
  for (auto& [id, f] : forwarded_) {
    ClientReply reply;
    reply.status = f.read_only ? ReplyStatus::kTryAgain : ReplyStatus::kUnknown;
    reply.message = "node storage failed";
    out_replies_.emplace_back(f.handle, std::move(reply));
  }
  forwarded_.clear();
}

void RaftNode::ResetElectionDeadline() {
  election_deadline_ = env_.Now() + env_.rng().UniformRange(options_.election_min, options_.election_max);
}

void RaftNode::SetLeader(NodeId leader) {
  leader_ = leader;
  if (leader == kNoNode) return;
  // Requests forwarded to an earlier leader will not be answered by this one: settle them now
  // rather than at their timeout, so clients move on as soon as the cluster has a new leader.
  SettleForwards([leader](const Forwarded& f) { return f.to != leader; },
                 "leader changed while the request was forwarded");
  DispatchWaiting();
}

// Raft §5.1: a higher term, or a leader of the current term, turns any node into a follower.
void RaftNode::BecomeFollower(uint64_t term, NodeId leader) {
  if (term > hard_.term) SetHardState(term, kNoNode);
  if (role_ == RaftRole::kLeader) AbandonLeaderWork();
  role_ = RaftRole::kFollower;
  votes_.clear();
  SetLeader(leader);
}

void RaftNode::BecomeLeader() {
  KV_ASSERT(role_ == RaftRole::kCandidate);
  role_ = RaftRole::kLeader;
  leader_ = config_.self;
  const Nanos now = env_.Now();
  leader_since_ = now;
  read_seq_ = 0;  // no read round issued in this leadership yet.
  for (Peer& p : peers_) {
    const NodeId id = p.id;
    p = Peer();
    p.id = id;
    p.next = log_.last_index() + 1;
    p.last_progress = p.last_ack = now;
  }
  // §5.4.2 / §6.4: a no-op of the new term lets earlier entries commit and reads be served.
  RaftEntry noop;
  noop.noop = true;
  noop_index_ = Propose(std::move(noop));
  force_heartbeat_ = true;
  next_heartbeat_ = now + options_.heartbeat;
  // Settles what this node forwarded to the previous leader (it will not answer this node now)
  // and serves the requests that waited for a leader.
  SetLeader(config_.self);
}

// Thesis §6.2: a leader that has not heard from a majority for an election timeout steps down,
// so clients stuck behind a partitioned leader learn to go elsewhere.
void RaftNode::CheckQuorum() {
  const Nanos now = env_.Now();
  if (now - leader_since_ < options_.election_max) return;
  size_t live = SelfCount();
  for (const Peer& p : peers_) live += now - p.last_ack <= options_.election_max ? 1 : 0;
  if (live < Majority()) BecomeFollower(hard_.term, kNoNode);
}

RaftNode::Peer* RaftNode::FindPeer(NodeId id) {
  for (Peer& p : peers_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

size_t RaftNode::pending_requests() const {
  size_t n = waiting_.size() + forwarded_.size() + proposals_.size() + reads_unstarted_.size() + reads_ready_.size();
  for (const ReadRound& r : read_rounds_) n += r.reads.size();
  return n;
}

bool RaftNode::Ready() const {
  if (!started_ || !failed_.ok()) return false;
  // A leader serves once an entry of its term (its no-op) is committed (§8); a follower once it
  // knows a leader to forward to.
  if (role_ == RaftRole::kLeader) return commit_ > 0 && log_.TermAt(commit_) == hard_.term;
  return leader_ != kNoNode;
}

NodeStatus RaftNode::Status() const {
  NodeStatus s;
  s.role = RaftRoleName(role_);
  s.leads = role_ == RaftRole::kLeader;
  s.term = hard_.term;
  s.leader = leader_;
  s.commit_index = commit_;
  s.applied_index = applied_;
  s.failed = !failed_.ok();
  return s;
}

std::vector<std::pair<std::string, std::string>> RaftNode::Info() const {
  return {
      {"policy", "raft"},
      {"node_id", absl::StrCat(config_.self)},
      {"role", RaftRoleName(role_)},
      {"term", absl::StrCat(hard_.term)},
      {"voted_for", absl::StrCat(hard_.voted_for)},
      {"leader", absl::StrCat(leader_)},
      {"commit_index", absl::StrCat(commit_)},
      {"applied_index", absl::StrCat(applied_)},
      {"last_log_index", absl::StrCat(log_.last_index())},
      {"last_log_term", absl::StrCat(log_.last_term())},
      {"snapshot_index", absl::StrCat(snapshot_index_)},
      {"members", absl::StrCat(members_.size())},
      {"config_index", absl::StrCat(config_index_)},
      {"membership_changes", absl::StrCat(membership_changes_)},
      {"fsync", config_.fsync ? "yes" : "no"},
      {"log_bytes", absl::StrCat(storage_.log_bytes())},
      {"fsyncs", absl::StrCat(storage_.syncs())},
      {"sync_in_flight", storage_.sync_in_flight() ? "yes" : "no"},
      {"held_messages", absl::StrCat(held_messages_.size())},
      {"elections", absl::StrCat(elections_)},
      {"leader_losses_seen", absl::StrCat(leader_losses_seen_)},
      {"snapshots_taken", absl::StrCat(snapshots_taken_)},
      {"snapshot_writing", storage_.snapshot_writing() ? "yes" : "no"},
      {"snapshot_encoding", encoding_ != nullptr ? "yes" : "no"},
      {"snapshot_bytes", absl::StrCat(snapshot_->size())},
      {"snapshots_installed", absl::StrCat(snapshots_installed_)},
      {"pending_requests", absl::StrCat(pending_requests())},
      {"torn_tail_cut", torn_tail_cut_ ? "yes" : "no"},
      {"bad_messages", absl::StrCat(bad_messages_)},
      {"storage_error", failed_.ok() ? std::string("none") : std::string(failed_.message())},
  };
}

}  // namespace kvlab::core
