// Log replication (§5.3): pipelined AppendEntries with fast back-tracking, commit by majority of
// current-term entries (§5.4.2), and in-order apply to the KvState.
#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

uint64_t RaftNode::Propose(RaftEntry e) {
  KV_ASSERT(role_ == RaftRole::kLeader);
  e.term = hard_.term;
  e.index = log_.last_index() + 1;
  e.now_ms = env_.Now() / kNanosPerMilli;
  Persist(storage_.AppendEntry(e));
  const uint64_t index = e.index;
  log_.Append(std::move(e));
  if (!log_.At(index).config.empty()) UseConfiguration(log_.At(index).config, index);
  return index;
}

// Sends what each follower lacks, up to options_.max_inflight_appends messages in flight; with
// `heartbeat`, every follower gets at least one message (leadership, commit index, read_seq).
void RaftNode::Replicate(bool heartbeat) {
  const Nanos now = env_.Now();
  for (Peer& p : peers_) {
    if (p.snapshotting) {
      if (heartbeat || now - p.last_progress > options_.retransmit()) SendSnapshotChunk(p);
      continue;
    }
    if (!p.inflight.empty() && now - p.last_progress > options_.retransmit()) {
      // Lost messages or replies: restart the pipeline from what the follower confirmed.
      p.inflight.clear();
      p.next = p.match + 1;
      p.probe = UINT64_MAX;
    }
    bool sent = false;
    while (!p.snapshotting && p.inflight.size() < options_.max_inflight_appends && p.next <= log_.last_index()) {
      SendAppend(p, false);
      sent = true;
    }
    if (heartbeat && !sent && !p.snapshotting) SendAppend(p, true);
  }
}

void RaftNode::SendAppend(Peer& p, bool heartbeat) {
  RaftAppend m;
  m.term = hard_.term;
  m.commit_index = commit_;
  m.read_seq = read_seq_;
  if (heartbeat) {
    // A heartbeat probes at the acknowledged match (which the follower is known to hold) so that
    // it never races the pipelined appends still in flight.
    m.prev_index = log_.TermAt(p.match).has_value() ? p.match : p.next - 1;
  } else {
    m.prev_index = p.next - 1;
  }
  std::optional<uint64_t> prev_term = log_.TermAt(m.prev_index);
  if (!prev_term.has_value()) {
    // The entries this follower needs are compacted away: send the snapshot instead (§7).
    p.snapshotting = true;
    p.snapshot_offset = 0;
    p.snapshot_index = snapshot_index_;
    p.inflight.clear();
    SendSnapshotChunk(p);
    return;
  }
  m.prev_term = *prev_term;
  if (!heartbeat) {
    m.entries = log_.Slice(p.next, options_.max_entries_per_append, kRaftMaxAppendBytes);
    KV_ASSERT(!m.entries.empty());
    if (p.inflight.empty()) p.last_progress = env_.Now();
    p.next = m.entries.back().index + 1;
    p.inflight.push_back(m.entries.back().index);
  }
  Send(p.id, std::move(m));
}

void RaftNode::OnAppend(NodeId from, const RaftAppend& m) {
  RaftAppendReply reply;
  if (m.term < hard_.term) {
    // Tells a stale leader to step down. Its read_seq is not echoed: the reply carries our term,
    // which may be its next incarnation's, and must confirm none of that leader's read rounds.
    reply.term = hard_.term;
    Send(from, reply);
    return;
  }
  reply.read_seq = m.read_seq;
  KV_ASSERT(!(role_ == RaftRole::kLeader && m.term == hard_.term));  // §5.2: one leader per term.
  // §5.2 as this node sees it: a term's leader, once known, is the only sender of its appends.
  KV_ASSERT(m.term > hard_.term || leader_ == kNoNode || leader_ == from);
  if (m.term > hard_.term || role_ != RaftRole::kFollower || leader_ != from) BecomeFollower(m.term, from);
  last_leader_contact_ = env_.Now();
  ResetElectionDeadline();
  reply.term = hard_.term;

  if (m.prev_index > log_.last_index()) {
    reply.conflict_index = log_.last_index() + 1;
    Send(from, reply);
    return;
  }
  // Entries up to base_index are committed and identical everywhere: they always match.
  if (m.prev_index >= log_.base_index() && log_.TermAt(m.prev_index) != m.prev_term) {
    reply.conflict_term = *log_.TermAt(m.prev_index);
    reply.conflict_index =
        m.prev_index > log_.base_index() ? log_.FirstIndexOfTermAt(m.prev_index) : log_.first_index();
    Send(from, reply);
    return;
  }
  uint64_t prev_term = m.prev_term;  // the term the leader says precedes each entry.
  for (const RaftEntry& e : m.entries) {
    const uint64_t claimed_prev_term = std::exchange(prev_term, e.term);
    if (e.index <= log_.base_index()) continue;
    if (e.index <= log_.last_index()) {
      if (log_.TermAt(e.index) == e.term) continue;  // already have it (a duplicate or old append).
      KV_ASSERT(e.index > commit_);                  // committed entries are never overwritten.
      Persist(storage_.AppendTruncate(e.index));
      log_.TruncateFrom(e.index);
      CapSyncedIndex(e.index - 1);
      if (config_index_ >= e.index) RecomputeConfiguration();
    }
    KV_ASSERT(e.index == log_.last_index() + 1);
    Persist(storage_.AppendEntry(e));
    log_.AppendAfter(e, claimed_prev_term);
    if (!e.config.empty()) UseConfiguration(e.config, e.index);
  }
  const uint64_t match = m.prev_index + m.entries.size();
  commit_ = std::max(commit_, std::min(m.commit_index, match));
  KV_ASSERT(commit_ <= log_.last_index());  // only what this log holds can be committed.
  reply.success = true;
  reply.match_index = match;
  Send(from, reply);  // held until a sync covers the entries (and any term change).
}

void RaftNode::NotePeerAck(Peer& p, uint64_t read_seq) {
  p.last_ack = env_.Now();
  // §6.4: only acks of heartbeats this leadership sent confirm its rounds. A seq of another term
  // (or beyond what it issued, since read_seq_ restarts with the process) is someone else's echo.
  if (read_seq == 0 || ReadSeqTerm(read_seq) != hard_.term || read_seq > read_seq_) return;
  p.acked_read_seq = std::max(p.acked_read_seq, read_seq);
}

void RaftNode::OnAppendReply(NodeId from, const RaftAppendReply& m) {
  if (m.term > hard_.term) return BecomeFollower(m.term, kNoNode);
  if (role_ != RaftRole::kLeader || m.term != hard_.term) return;
  Peer* found = FindPeer(from);
  if (found == nullptr) return;  // not (or no longer) in this leader's configuration.
  Peer& p = *found;
  NotePeerAck(p, m.read_seq);
  if (m.success) {
    if (m.match_index > p.match) {
      KV_ASSERT(m.match_index <= log_.last_index());
      p.match = m.match_index;
      p.last_progress = env_.Now();
    }
    while (!p.inflight.empty() && p.inflight.front() <= p.match) p.inflight.pop_front();
    if (p.match >= p.probe) p.probe = UINT64_MAX;  // the follower took the probed entry.
    p.next = std::max(p.next, p.match + 1);
    AdvanceCommit();
  } else if (!p.snapshotting) {
    OnAppendRejected(p, m);
  }
  ConfirmReadRounds();
}

// Fast back-tracking (§5.3): skip the whole conflicting term at once, never below what the
// follower confirmed. A follower whose log ends before prev_index asks for its end (conflict_term
// 0); one holding another term at prev_index names it, and the leader resumes after its own last
// entry of that term, or, lacking any, just after the confirmed match.
void RaftNode::OnAppendRejected(Peer& p, const RaftAppendReply& m) {
  if (m.conflict_term == 0 && m.conflict_index <= p.match) return;  // stale: it has more by now.
  uint64_t next = m.conflict_index;
  if (m.conflict_term != 0) {
    const uint64_t last = log_.LastIndexOfTerm(m.conflict_term);
    if (last != 0) next = last + 1;
  }
  next = std::clamp<uint64_t>(next, p.match + 1, log_.last_index() + 1);
  if (!p.inflight.empty() && next >= p.probe) return;  // the restarted pipeline is on its way.
  p.probe = next;
  p.next = next;
  p.inflight.clear();
  p.last_progress = env_.Now();
  while (p.inflight.size() < options_.max_inflight_appends && p.next <= log_.last_index() && !p.snapshotting) {
    SendAppend(p, false);
  }
}

// §5.4.2: only an entry of the current term commits by counting replicas; earlier ones commit
// with it. The leader counts itself only for what its own disk has synced.
void RaftNode::AdvanceCommit() {
  // Runs after every append reply: no heap allocation for the clusters we run (up to 8 nodes).
  absl::InlinedVector<uint64_t, 8> matches;
  if (SelfCount() == 1) matches.push_back(synced_index_);  // a leader removing itself does not count.
  for (const Peer& p : peers_) matches.push_back(p.match);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const uint64_t n = matches[Majority() - 1];
  if (n > commit_ && log_.TermAt(n) == hard_.term) commit_ = n;
  KV_ASSERT(commit_ <= log_.last_index());  // a majority's match never passes the leader's log.
}

void RaftNode::ApplyCommitted() {
  KV_ASSERT(applied_ >= log_.base_index());
  while (applied_ < commit_ && applied_ < log_.last_index()) {
    const RaftEntry& e = log_.At(applied_ + 1);
    Result result;
    if (!e.noop && e.config.empty()) result = state_.Apply(e.command, e.now_ms);
    applied_ = e.index;
    auto it = proposals_.find(e.index);
    if (it != proposals_.end()) {
      if (it->second.term == e.term) {
        ClientReply reply;
        reply.result = std::move(result);
        SendReply(it->second.origin, std::move(reply));
      } else {
        ReplyError(it->second.origin, ReplyStatus::kUnknown, "leadership changed");
      }
      proposals_.erase(it);
    }
    if (!e.config.empty()) NoteConfigurationCommitted(e);
  }
}

}  // namespace kvlab::core
