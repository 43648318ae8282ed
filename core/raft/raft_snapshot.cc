// Snapshots and log compaction (§5 of the thesis' chapter 5, "Log compaction"), and chunked
// InstallSnapshot for followers whose next entry the leader has compacted away.
#include <algorithm>
#include <utility>

#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

// A node snapshots its applied state once enough log follows the last snapshot, by entries or by
// bytes (raft_config.h), one snapshot at a time. The state is frozen at the snapshot's index and
// encoded a slice a turn (EncodeSnapshotSlice) while it goes on applying entries; each slice is one
// piece of the file, written off the event loop as it comes (RaftStorage::PumpSnapshot, from
// EndTurn). Once encoded, the snapshot serves InstallSnapshot and the log is compacted in memory;
// until the file's rename a crash recovers the previous snapshot and the whole log, which the disk
// still holds.
void RaftNode::MaybeSnapshot() {
  if (encoding_ != nullptr) return EncodeSnapshotSlice();
  if (storage_.snapshot_writing() || applied_ == snapshot_index_) return;
  const bool by_entries = applied_ - snapshot_index_ >= options_.snapshot_every_entries;
  const bool by_bytes = storage_.log_bytes() >= std::max<uint64_t>(options_.snapshot_min_log_bytes, snapshot_->size());
  if (!by_entries && !by_bytes) return;
  encoding_index_ = applied_;
  encoding_term_ = *log_.TermAt(applied_);
  encoding_members_ = ConfigurationAt(applied_);
  state_.Freeze();
  encoding_ = std::make_shared<RaftSnapshotBytes>();
  Persist(storage_.BeginSnapshot(encoding_index_, encoding_term_, encoding_, /*encoded=*/false));
  EncodeSnapshotSlice();
}

void RaftNode::EncodeSnapshotSlice() {
  std::string piece;
  piece.reserve(kRaftSnapshotEncodeSliceBytes + kRaftSnapshotChunkBytes);
  ByteWriter w(&piece);
  if (encoding_->size() == 0) EncodeSnapshotConfig(encoding_members_, w);
  const bool done = state_.EncodeFrozen(w, kRaftSnapshotEncodeSliceBytes);
  env_.ChargeBulkBytes(piece.size());
  encoding_->Append(std::move(piece));
  if (done) FinishSnapshotEncoding();
}

void RaftNode::FinishSnapshotEncoding() {
  storage_.SnapshotEncoded();
  base_members_ = std::move(encoding_members_);
  // No compaction since the freeze (one snapshot at a time; an install abandons this one), and
  // the entries up to the index were applied: they are all still in the log.
  log_.CompactTo(CompactionPoint(encoding_index_));
  snapshot_index_ = encoding_index_;
  snapshot_term_ = encoding_term_;
  snapshot_ = std::move(encoding_);
  encoding_.reset();
  ++snapshots_taken_;
}

void RaftNode::AbandonSnapshotEncoding() {
  if (encoding_ == nullptr) return;
  state_.CloseFrozenView();
  encoding_.reset();
  encoding_members_.clear();
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
  m.offset = std::min<uint64_t>(p.snapshot_offset, snapshot_->size());
  m.total_bytes = snapshot_->size();
  m.read_seq = read_seq_;
  m.data = snapshot_->Read(m.offset, kRaftSnapshotChunkBytes);
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
  bool same = recv_snapshot_index_ == m.last_index && recv_snapshot_term_ == m.last_term;
  if (same && m.offset == recv_snapshot_.size() && !DecodeSnapshotChunk(m)) {
    same = false;  // bad bytes: the leader starts over from offset 0.
    recv_snapshot_index_ = 0;
    recv_snapshot_.clear();
    recv_decoder_.reset();
  }
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

bool RaftNode::DecodeSnapshotChunk(const RaftSnapshotChunk& m) {
  env_.ChargeBulkBytes(m.data.size());
  ByteReader r(m.data);
  if (m.offset == 0) {
    // The configuration is far smaller than a chunk (kRaftMaxMembers members): it is all here.
    if (!DecodeSnapshotConfig(r, base_members_, &recv_members_).ok()) return false;
    recv_decoder_ = std::make_unique<KvStateDecoder>(m.total_bytes);
  }
  if (recv_decoder_ == nullptr) return false;
  std::string_view rest;
  return r.Raw(&rest, r.remaining()) && recv_decoder_->Feed(rest).ok();
}

void RaftNode::InstallSnapshot(uint64_t index, uint64_t term, std::string data) {
  std::unique_ptr<KvStateDecoder> decoder = std::move(recv_decoder_);
  if (decoder == nullptr) return;
  absl::StatusOr<KvState> finished = decoder->Finish();
  if (!finished.ok()) return;  // a bad transfer: the leader starts over.
  KvState decoded = *std::move(finished);
  std::vector<RaftMember> members = std::move(recv_members_);
  AbandonSnapshotEncoding();  // this one is newer; the storage abandons its write (SaveSnapshot).
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
  snapshot_ = std::make_shared<const RaftSnapshotBytes>(std::move(data));
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
      p.snapshot_offset = std::min<uint64_t>(m.next_offset, snapshot_->size());
      SendSnapshotChunk(p);
    }
  }
  ConfirmReadRounds();
}

}  // namespace kvlab::core
