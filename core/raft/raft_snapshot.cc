// Snapshots and log compaction (§5 of the thesis' chapter 5, "Log compaction"), and chunked
// InstallSnapshot for followers whose next entry the leader has compacted away.
#include <algorithm>
#include <utility>

#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

// A node snapshots its applied state once enough log follows the last snapshot, by entries or by
// bytes (raft_config.h), one snapshot at a time. The state is encoded and the log compacted in
// memory now; the file is written off the event loop (RaftStorage::PumpSnapshot, from EndTurn).
// Until its rename a crash recovers the previous snapshot and the whole log, which the disk still
// holds; the in-memory snapshot serves InstallSnapshot meanwhile (it is of committed state).
void RaftNode::MaybeSnapshot() {
  if (storage_.snapshot_writing() || applied_ == snapshot_index_) return;
  const bool by_entries = applied_ - snapshot_index_ >= options_.snapshot_every_entries;
  const bool by_bytes =
      storage_.log_bytes() >= std::max<uint64_t>(options_.snapshot_min_log_bytes, snapshot_state_.size());
  if (!by_entries && !by_bytes) return;
  const uint64_t index = applied_;
  const uint64_t term = *log_.TermAt(index);
  std::vector<RaftMember> config = ConfigurationAt(index);
  // The state seldom shrinks much between snapshots: the last one's size, plus room to grow.
  std::string bytes = EncodeSnapshotData(config, state_, snapshot_state_.size() + snapshot_state_.size() / 4);
  base_members_ = std::move(config);
  log_.CompactTo(CompactionPoint(index));
  Persist(storage_.BeginSnapshot(index, term, bytes));
  snapshot_index_ = index;
  snapshot_term_ = term;
  snapshot_state_ = std::move(bytes);
  ++snapshots_taken_;
}

uint64_t RaftNode::CompactionPoint(uint64_t index) const {
  if (role_ != RaftRole::kLeader) return index;
  // At most half the entries between snapshots: the log still shrinks at each, and a follower
  // that was down for a while still gets the snapshot.
  const uint64_t max_behind = std::min(options_.snapshot_catch_up_entries, options_.snapshot_every_entries / 2);
  uint64_t keep_after = index;
  for (const Peer& p : peers_) {
    // Behind, with its next entries still in the log, and not too far behind.
    if (p.snapshotting || p.match >= keep_after || p.match < log_.base_index()) continue;
    if (index - p.match > max_behind) continue;
    uint64_t bytes = 0;
    for (uint64_t i = p.match + 1; i <= index && bytes <= kRaftSnapshotCatchUpBytes; ++i) {
      bytes += RaftEntryBytes(log_.At(i));
    }
    if (bytes <= kRaftSnapshotCatchUpBytes) keep_after = p.match;
  }
  return keep_after;
}

void RaftNode::PumpSnapshot() {
  bool log_rewritten = false;
  Persist(storage_.PumpSnapshot(log_, hard_, &log_rewritten));
  if (log_rewritten) NoteLogRewritten();
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
