// Leader election: PreVote (thesis §9.6), RequestVote (§5.2) and the election restriction (§5.4.1).
#include <algorithm>

#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

// §9.6: before disturbing the cluster with a new term, ask whether a majority would vote for us.
// The term is not changed, so a node that cannot win (partitioned, stale log) never forces a
// stable leader to step down.
void RaftNode::StartPreVote() {
  ResetElectionDeadline();
  role_ = RaftRole::kPreCandidate;
  leader_ = kNoNode;
  votes_.clear();
  votes_.insert(config_.self);
  if (votes_.size() >= Majority()) return StartElection();
  for (const Peer& p : peers_) {
    Send(p.id, RaftVoteRequest{hard_.term + 1, true, log_.last_index(), log_.last_term()});
  }
}

// The leader's process is gone (its connections closed): rather than wait out the election
// timeout, stop forwarding to it and stand for election soon, staggered by rank so the followers
// that saw the same close do not all stand at once. Safe whatever the truth of the hint: PreVote
// still needs a majority that has not heard from a live leader lately, and the next append of a
// leader that is in fact alive makes this node its follower again.
void RaftNode::OnPeerLost(NodeId peer) {
  if (!started_ || !failed_.ok() || role_ == RaftRole::kLeader || peer == kNoNode || peer != leader_) return;
  ++leader_losses_seen_;
  leader_ = kNoNode;
  last_leader_contact_ = INT64_MIN / 2;
  SettleForwards([peer](const Forwarded& f) { return f.to == peer; }, "the leader's connection closed");
  int64_t rank = 0;
  for (const RaftMember& m : members_) rank += m.id != peer && m.id < config_.self ? 1 : 0;
  const Nanos stand_at = env_.Now() + rank * kRaftLeaderLostStagger + env_.rng().UniformRange(0, kRaftTick);
  election_deadline_ = std::min(election_deadline_, stand_at);
}

void RaftNode::StartElection() {
  ++elections_;
  ResetElectionDeadline();
  role_ = RaftRole::kCandidate;
  leader_ = kNoNode;
  // The new term and the self-vote are synced in EndTurn before the requests leave.
  SetHardState(hard_.term + 1, config_.self);
  votes_.clear();
  votes_.insert(config_.self);
  if (votes_.size() >= Majority()) return BecomeLeader();
  for (const Peer& p : peers_) {
    Send(p.id, RaftVoteRequest{hard_.term, false, log_.last_index(), log_.last_term()});
  }
}

void RaftNode::OnVoteRequest(NodeId from, const RaftVoteRequest& m) {
  const bool up_to_date = log_.IsUpToDate(m.last_log_index, m.last_log_term);  // §5.4.1
  if (m.pre_vote) {
    // Grant only if we would vote in that term and have not heard from a live leader lately
    // (§4.2.3): that is what keeps a stable leader undisturbed.
    const bool leader_alive =
        role_ == RaftRole::kLeader || (leader_ != kNoNode && env_.Now() - last_leader_contact_ < options_.election_min);
    const bool grant = m.term > hard_.term && up_to_date && !leader_alive;
    Send(from, RaftVoteReply{grant ? m.term : hard_.term, true, grant});
    return;
  }
  if (m.term > hard_.term) BecomeFollower(m.term, kNoNode);
  bool grant = false;
  if (m.term == hard_.term && up_to_date && (hard_.voted_for == kNoNode || hard_.voted_for == from)) {
    grant = true;
    if (hard_.voted_for != from) SetHardState(hard_.term, from);  // durable before the reply leaves.
    ResetElectionDeadline();
  }
  // §5.2: at most one vote per term. A granted vote is the one recorded (and synced before this
  // reply leaves), so a second candidate of the term is refused even after a restart.
  KV_ASSERT(!grant || hard_.voted_for == from);
  Send(from, RaftVoteReply{hard_.term, false, grant});
}

void RaftNode::OnVoteReply(NodeId from, const RaftVoteReply& m) {
  if (m.pre_vote) {
    if (!m.granted) {
      if (m.term > hard_.term) BecomeFollower(m.term, kNoNode);
      return;
    }
    if (role_ != RaftRole::kPreCandidate || m.term != hard_.term + 1 || !IsMember(from)) return;
    votes_.insert(from);
    if (votes_.size() >= Majority()) StartElection();
    return;
  }
  if (m.term > hard_.term) return BecomeFollower(m.term, kNoNode);
  if (role_ != RaftRole::kCandidate || m.term != hard_.term || !m.granted || !IsMember(from)) return;
  KV_ASSERT(hard_.voted_for == config_.self);  // a candidate votes for itself in its term (§5.2).
  votes_.insert(from);
  if (votes_.size() >= Majority()) BecomeLeader();
}

}  // namespace kvlab::core
