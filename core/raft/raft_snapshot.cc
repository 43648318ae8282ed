// Snapshots and log compaction (§5 of the thesis' chapter 5, "Log compaction"), and chunked
// InstallSnapshot for followers whose next entry the leader has compacted away.
#include <algorithm>
#include <utility>

#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

// Only with no sync in flight (the brief's "all durable" point): the snapshot and the rewritten
// log then replace the files whole and durably, so every record so far is durable afterwards.
void RaftNode::MaybeSnapshot() {
  if (applied_ - snapshot_index_ < options_.snapshot_every_entries || storage_.sync_in_flight()) return;
  const uint64_t index = applied_;
  const uint64_t term = *log_.TermAt(index);
  std::vector<RaftMember> config = ConfigurationAt(index);
  std::string bytes = EncodeSnapshotData(config, state_);
  base_members_ = std::move(config);
  log_.CompactTo(index);
  Persist(storage_.SaveSnapshot(index, term, bytes, log_, hard_));
  NoteLogRewritten();
  snapshot_index_ = index;
  snapshot_term_ = term;
  snapshot_state_ = std::move(bytes);
  ++snapshots_taken_;
}

void RaftNode::SendSnapshotChunk(Peer& p) {
  if (p.snapshot_index != snapshot_index_) {  // a newer snapshot replaced the one being sent.
    p.snapshot_index = snapshot_index_;
    p.snapshot_offset = 0;
  }
  RaftSnapshotChunk m;
  m.term = hard_.term;
  m.last_index = snapshot_index_;
  m.last_term = snapshot_term_;
  m.offset = std::min<uint64_t>(p.snapshot_offset, snapshot_state_.size());
  m.total_bytes = snapshot_state_.size();
  m.read_seq = read_seq_;
  m.data = snapshot_state_.substr(m.offset, kRaftSnapshotChunkBytes);
  p.last_progress = env_.Now();
  Send(p.id, std::move(m));
}

void RaftNode::OnSnapshotChunk(NodeId from, const RaftSnapshotChunk& m) {
  RaftSnapshotReply reply;
  reply.last_index = m.last_index;
  if (m.term < hard_.term) {
    reply.term = hard_.term;  // no read_seq echo for a stale leader (see OnAppend).
    Send(from, reply);
    return;
  }
  reply.read_seq = m.read_seq;
  KV_ASSERT(!(role_ == RaftRole::kLeader && m.term == hard_.term));
  KV_ASSERT(m.term > hard_.term || leader_ == kNoNode || leader_ == from);  // one leader per term.
  if (m.term > hard_.term || role_ != RaftRole::kFollower || leader_ != from) BecomeFollower(m.term, from);
  last_leader_contact_ = env_.Now();
  ResetElectionDeadline();
  reply.term = hard_.term;

  if (m.last_index <= commit_) {  // we already hold everything it covers.
    reply.installed = true;
    reply.next_offset = m.total_bytes;
    Send(from, reply);
    return;
  }
  if (m.offset == 0) {
    recv_snapshot_index_ = m.last_index;
    recv_snapshot_term_ = m.last_term;
    recv_snapshot_.clear();
  }
  const bool same = recv_snapshot_index_ == m.last_index && recv_snapshot_term_ == m.last_term;
  if (same && m.offset == recv_snapshot_.size()) {
    recv_snapshot_.append(m.data);
    if (recv_snapshot_.size() == m.total_bytes) {
      InstallSnapshot(m.last_index, m.last_term, std::move(recv_snapshot_));
      recv_snapshot_.clear();
      reply.installed = snapshot_index_ == m.last_index;
      recv_snapshot_index_ = 0;
    }
  }
  reply.next_offset = same ? recv_snapshot_.size() : 0;
  if (reply.installed) reply.next_offset = m.total_bytes;
  Send(from, reply);  // held until EndTurn: durable by then.
}

void RaftNode::InstallSnapshot(uint64_t index, uint64_t term, std::string data) {
  std::vector<RaftMember> members;
  KvState decoded;
  if (!DecodeSnapshotData(data, base_members_, &members, &decoded).ok())
    return;  // a bad transfer: the leader starts over.
  // §7: keep the log after the snapshot only if it agrees at the snapshot's last entry.
  if (log_.TermAt(index) == term) {
    log_.CompactTo(index);
  } else {
    log_.Reset(index, term);
  }
  Persist(storage_.SaveSnapshot(index, term, data, log_, hard_));
  NoteLogRewritten();
  base_members_ = std::move(members);
  RecomputeConfiguration();
  state_ = std::move(decoded);
  commit_ = std::max(commit_, index);
  applied_ = index;
  snapshot_index_ = index;
  snapshot_term_ = term;
  snapshot_state_ = std::move(data);
  ++snapshots_installed_;
}

void RaftNode::OnSnapshotReply(NodeId from, const RaftSnapshotReply& m) {
  if (m.term > hard_.term) return BecomeFollower(m.term, kNoNode);
  if (role_ != RaftRole::kLeader || m.term != hard_.term) return;
  Peer* found = FindPeer(from);
  if (found == nullptr) return;  // not (or no longer) in this leader's configuration.
  Peer& p = *found;
  NotePeerAck(p, m.read_seq);
  if (p.snapshotting && m.last_index == p.snapshot_index) {
    if (m.installed) {
      p.snapshotting = false;
      p.match = std::max(p.match, m.last_index);
      p.next = p.match + 1;
      p.inflight.clear();
      p.last_progress = env_.Now();
      AdvanceCommit();
    } else if (m.next_offset != p.snapshot_offset || m.next_offset == 0) {
      p.snapshot_offset = std::min<uint64_t>(m.next_offset, snapshot_state_.size());
      SendSnapshotChunk(p);
    }
  }
  ConfirmReadRounds();
}

}  // namespace kvlab::core
