// Client requests on a Raft node: writes are proposed by the leader and answered once applied;
// reads use ReadIndex (§6.4); followers forward to the leader and relay its answer; with no
// known leader a request waits a bounded time, then fails with TRYAGAIN. Every queue is bounded.
#include <algorithm>
#include <utility>

#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

void RaftNode::OnClientRequest(ReplyHandle handle, Command cmd) {
  if (!started_ || !failed_.ok()) {
    ClientReply reply;
    reply.status = ReplyStatus::kTryAgain;
    reply.message = started_ ? "TRYAGAIN node storage failed" : "TRYAGAIN node not started";
    env_.Reply(handle, std::move(reply));
    return;
  }
  Accept(Origin{.handle = handle}, std::move(cmd));
}

void RaftNode::Accept(Origin origin, Command cmd) {
  if (pending_requests() >= kMaxPendingClientRequests) {
    return ReplyError(origin, ReplyStatus::kBusy, "BUSY too many pending requests");
  }
  Route(Request{std::move(origin), std::move(cmd), env_.Now() + options_.no_leader_wait()});
}

void RaftNode::Route(Request req) {
  if (role_ == RaftRole::kLeader) return ServeAsLeader(std::move(req));
  // Forwarding is one hop only: a forwarded request reaching a non-leader is refused (it was
  // not applied), and the client retries elsewhere.
  if (req.origin.via != kNoNode) return ReplyError(req.origin, ReplyStatus::kTryAgain, "TRYAGAIN not the leader");
  if (leader_ != kNoNode) return Forward(std::move(req));
  waiting_.push_back(std::move(req));
}

void RaftNode::ServeAsLeader(Request req) {
  if (IsReadOnly(req.cmd.op)) {
    req.deadline = env_.Now() + options_.read_timeout();
    reads_unstarted_.push_back(std::move(req));
    return;
  }
  if (req.cmd.op == Op::kChangeMembers) return ProposeMembershipChange(std::move(req));
  RaftEntry e;
  e.command = std::move(req.cmd);
  const uint64_t index = Propose(std::move(e));
  proposals_[index] = Proposal{std::move(req.origin), hard_.term};
}

void RaftNode::Forward(Request req) {
  KV_ASSERT(req.origin.via == kNoNode && leader_ != kNoNode && leader_ != config_.self);
  const uint64_t id = (forward_epoch_ << 32) | next_forward_id_++;
  forwarded_[id] =
      Forwarded{req.origin.handle, IsReadOnly(req.cmd.op), env_.Now() + options_.forward_timeout(), leader_};
  SendClientMessage(leader_, MessageType::kForwardRequest, ClientRequest{id, std::move(req.cmd)});
}

void RaftNode::OnForwardRequest(NodeId from, const ClientRequest& req) {
  // The network may duplicate messages: a write proposed twice could overwrite a later write.
  const std::pair<NodeId, uint64_t> key{from, req.request_id};
  if (!seen_forwards_.insert(key).second) return;
  seen_order_.push_back(key);
  if (seen_order_.size() > kRaftForwardDedupWindow) {
    seen_forwards_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  if (!ValidateCommand(req.command).ok()) {
    return ReplyError(Origin{from, 0, req.request_id}, ReplyStatus::kInvalid, "invalid command");
  }
  Accept(Origin{from, 0, req.request_id}, req.command);
}

void RaftNode::OnForwardReply(const ClientReply& reply) {
  auto it = forwarded_.find(reply.request_id);
  if (it == forwarded_.end()) return;  // late (already timed out) or duplicated.
  out_replies_.emplace_back(it->second.handle, reply);
  forwarded_.erase(it);
}

void RaftNode::DispatchWaiting() {
  std::vector<Request> waiting = std::move(waiting_);
  waiting_.clear();
  for (Request& r : waiting) Route(std::move(r));
}

// §6.4: record the commit index, then confirm leadership with one heartbeat round acknowledged
// by a majority; all reads gathered since the last round share it.
void RaftNode::StartReadRound() {
  if (reads_unstarted_.empty()) return;
  if (commit_ < noop_index_) return;  // no entry of this term committed yet: commit_ may be stale.
  ReadRound round;
  // A round's seq carries the term in its high bits, so a seq echoed from another leadership, of
  // this process or of one before a crash (read_seq_ restarts at 0), never matches this one's.
  KV_ASSERT(hard_.term <= kRaftMaxReadSeqTerm);
  round.seq = read_seq_ == 0 ? (hard_.term << kRaftReadSeqTermShift) | 1 : read_seq_ + 1;
  KV_ASSERT(ReadSeqTerm(round.seq) == hard_.term);  // at most 2^32 - 1 rounds per term.
  read_seq_ = round.seq;
  round.read_index = commit_;
  round.reads = std::move(reads_unstarted_);
  reads_unstarted_.clear();
  read_rounds_.push_back(std::move(round));
  force_heartbeat_ = true;
  ConfirmReadRounds();
}

void RaftNode::ConfirmReadRounds() {
  while (!read_rounds_.empty()) {
    ReadRound& round = read_rounds_.front();
    size_t acks = SelfCount();
    for (const Peer& p : peers_) acks += p.acked_read_seq >= round.seq ? 1 : 0;
    if (acks < Majority()) return;
    for (Request& r : round.reads) reads_ready_.emplace_back(round.read_index, std::move(r));
    read_rounds_.pop_front();
  }
}

void RaftNode::ServeReadyReads() {
  if (role_ != RaftRole::kLeader) return;
  const int64_t now_ms = env_.Now() / kNanosPerMilli;
  size_t kept = 0;
  for (size_t i = 0; i < reads_ready_.size(); ++i) {
    auto& [read_index, req] = reads_ready_[i];
    if (read_index > applied_) {
      if (kept != i) reads_ready_[kept] = std::move(reads_ready_[i]);  // never self-move.
      ++kept;
      continue;
    }
    ClientReply reply;
    reply.result = state_.Apply(req.cmd, now_ms);  // read-only: never changes the state.
    SendReply(req.origin, std::move(reply));
  }
  reads_ready_.resize(kept);
}

void RaftNode::ExpireRequests() {
  const Nanos now = env_.Now();
  auto expire = [&](std::vector<Request>& reqs, const char* why) {
    size_t kept = 0;
    for (size_t i = 0; i < reqs.size(); ++i) {
      Request& r = reqs[i];
      if (r.deadline > now) {
        if (kept != i) reqs[kept] = std::move(r);  // never self-move: it would empty the command.
        ++kept;
      } else {
        ReplyError(r.origin, ReplyStatus::kTryAgain, why);
      }
    }
    reqs.resize(kept);
  };
  expire(waiting_, "TRYAGAIN no leader");
  expire(reads_unstarted_, "TRYAGAIN read not confirmed");
  for (ReadRound& round : read_rounds_) expire(round.reads, "TRYAGAIN read not confirmed");
  SettleForwards([now](const Forwarded& f) { return f.deadline <= now; }, "forwarded request timed out");
}

void RaftNode::SettleForwards(absl::FunctionRef<bool(const Forwarded&)> settle, const char* why) {
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    if (!settle(it->second)) {
      ++it;
      continue;
    }
    ClientReply reply;
    // A forwarded write may have been proposed and applied: its fate is unknown. A read is not.
    reply.status = it->second.read_only ? ReplyStatus::kTryAgain : ReplyStatus::kUnknown;
    reply.message = why;
    out_replies_.emplace_back(it->second.handle, std::move(reply));
    it = forwarded_.erase(it);
  }
}

// On losing leadership: proposals may still commit under the next leader (kUnknown, never a
// false kOk or kTryAgain); reads had no effect (kTryAgain).
void RaftNode::AbandonLeaderWork() {
  for (auto& [index, p] : proposals_) ReplyError(p.origin, ReplyStatus::kUnknown, "leadership lost");
  proposals_.clear();
  for (Request& r : reads_unstarted_) ReplyError(r.origin, ReplyStatus::kTryAgain, "TRYAGAIN leadership lost");
  reads_unstarted_.clear();
  for (ReadRound& round : read_rounds_) {
    for (Request& r : round.reads) ReplyError(r.origin, ReplyStatus::kTryAgain, "TRYAGAIN leadership lost");
  }
  read_rounds_.clear();
  for (auto& [index, r] : reads_ready_) ReplyError(r.origin, ReplyStatus::kTryAgain, "TRYAGAIN leadership lost");
  reads_ready_.clear();
  noop_index_ = 0;
}

}  // namespace kvlab::core
