#include "core/abd/abd_node.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

constexpr TimerToken kTickTimer = 1;

}  // namespace

absl::Status AbdNode::Start() {
  if (absl::Status s = replica_.Open(env_.disk(), VersionedFiles{kAbdWalFile, kAbdSnapshotFile, kAbdSnapshotTmpFile},
                                     {.fsync = config_.fsync});
      !s.ok()) {
    return s;
  }
  // Op ids of an earlier life of this node must not match: their answers may still be in flight.
  next_op_ = (env_.rng().Next() & 0xffff'ffffULL) << 32;
  incarnation_ = env_.rng().Uniform(uint64_t{1} << kAbdIncarnationBits);
  env_.SetTimer(options_.retry, kTickTimer);
  return absl::OkStatus();
}

void AbdNode::ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(message);
  env_.Reply(handle, std::move(reply));
}

void AbdNode::ReplyResult(ReplyHandle handle, Result result) {
  ClientReply reply;
  reply.result = std::move(result);
  env_.Reply(handle, std::move(reply));
}

void AbdNode::OnClientRequest(ReplyHandle handle, Command cmd) {
  if (!replica_.open()) return ReplyNow(handle, ReplyStatus::kTryAgain, "TRYAGAIN node not started");
  if (failed()) return ReplyNow(handle, ReplyStatus::kTryAgain, "TRYAGAIN node storage failed");
  if (absl::Status s = ValidateCommand(cmd); !s.ok()) {
    return ReplyNow(handle, ReplyStatus::kInvalid, std::string(s.message()));
  }
  switch (cmd.op) {
    case Op::kGet: break;
    case Op::kPut:
      if (cmd.condition != PutCondition::kAlways || cmd.expire_at_ms != 0) {
        return ReplyResult(handle, Result::Error("ERR abd supports plain SET only (no NX, XX or expiry)"));
      }
      break;
    case Op::kDel:
      if (cmd.keys.size() != 1) return ReplyResult(handle, Result::Error("ERR abd deletes one key per command"));
      break;
    default:
      return ReplyResult(handle, Result::Error(absl::StrCat("ERR abd does not support ", OpName(cmd.op),
                                                            " (a register per key: GET, SET, DEL only)")));
  }
  if (ops_.size() >= kAbdMaxPendingOps) return ReplyNow(handle, ReplyStatus::kBusy, "BUSY too many pending requests");
  const uint64_t id = ++next_op_;
  PendingOp& op = ops_[id];
  op.handle = handle;
  op.cmd = std::move(cmd);
  op.deadline = env_.Now() + options_.op_timeout;
  SendPhase(id, op);
  DrainLocal();
}

void AbdNode::SendPhase(uint64_t id, const PendingOp& op) {
  for (NodeId to : config_.members) {
    if (std::find(op.answered.begin(), op.answered.end(), to) != op.answered.end()) continue;
    if (op.phase == Phase::kQuery) {
      Deliver(to, RegQuery{id, op.cmd.keys[0]});
    } else {
      Deliver(to, RegStore{id, op.cmd.keys[0], op.best});
    }
  }
}

bool AbdNode::Counted(PendingOp& op, NodeId from) {
  if (std::find(op.answered.begin(), op.answered.end(), from) != op.answered.end()) return false;
  op.answered.push_back(from);
  return true;
}

void AbdNode::OnQueryReply(NodeId from, const RegQueryReply& m) {
  auto it = ops_.find(m.op);
  if (it == ops_.end() || it->second.phase != Phase::kQuery || m.key != it->second.cmd.keys[0]) return;
  PendingOp& op = it->second;
  if (!Counted(op, from)) return;
  if (op.best.version < m.entry.version) op.best = m.entry;
  if (op.answered.size() >= Majority()) QueryDone(it->first, op);
}

void AbdNode::QueryDone(uint64_t id, PendingOp& op) {
  const VersionedEntry& best = op.best;
  const bool present = !best.version.zero() && !best.tombstone;
  switch (op.cmd.op) {
    case Op::kGet:
      if (best.version.zero()) {  // never written at this majority: nothing to write back.
        ReplyResult(op.handle, Result::Nil());
        ops_.erase(id);
        return;
      }
      // The write-back: the value is at a majority before any client sees it.
      return StartStore(id, op, best, present ? Result::Value(best.value) : Result::Nil());
    case Op::kPut:
      return StartStore(id, op, VersionedEntry{NextTag(best.version), false, op.cmd.values[0]}, Result::Ok());
    default:  // kDel (the request filter admits nothing else).
      return StartStore(id, op, VersionedEntry{NextTag(best.version), true, ""}, Result::Integer(present ? 1 : 0));
  }
}

Version AbdNode::NextTag(Version seen) {
  last_counter_ = std::max(last_counter_, seen.stamp >> kAbdIncarnationBits) + 1;
  return Version{(last_counter_ << kAbdIncarnationBits) | incarnation_, config_.self};
}

void AbdNode::StartStore(uint64_t id, PendingOp& op, VersionedEntry entry, Result result) {
  op.phase = Phase::kStore;
  op.answered.clear();
  op.best = std::move(entry);
  op.result = std::move(result);
  SendPhase(id, op);
}

void AbdNode::OnStoreAck(NodeId from, const RegStoreAck& m) {
  auto it = ops_.find(m.op);
  if (it == ops_.end() || it->second.phase != Phase::kStore || m.key != it->second.cmd.keys[0]) return;
  PendingOp& op = it->second;
  if (!Counted(op, from) || op.answered.size() < Majority()) return;
  ReplyResult(op.handle, std::move(op.result));
  ops_.erase(it);
}

void AbdNode::HandleQuery(NodeId from, const RegQuery& m) { Deliver(from, replica_.Query(m)); }

void AbdNode::HandleStore(NodeId from, const RegStore& m) { replica_.Store(from, m); }

void AbdNode::Dispatch(NodeId from, RegisterMessage m) {
  if (failed()) return;  // a replica whose storage failed answers nothing.
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RegQuery>) HandleQuery(from, body);
        if constexpr (std::is_same_v<T, RegQueryReply>) OnQueryReply(from, body);
        if constexpr (std::is_same_v<T, RegStore>) HandleStore(from, body);
        if constexpr (std::is_same_v<T, RegStoreAck>) OnStoreAck(from, body);
      },
      m);
}

void AbdNode::Deliver(NodeId to, RegisterMessage m) {
  if (to == config_.self) {
    local_.emplace_back(config_.self, std::move(m));
    return;
  }
  Message msg;
  msg.type = MessageType::kPeer;
  msg.body = EncodeRegisterMessage(kAbdPolicyTag, m);
  env_.Send(to, std::move(msg));
}

void AbdNode::DrainLocal() {
  while (!local_.empty()) {
    auto [from, m] = std::move(local_.front());
    local_.pop_front();
    Dispatch(from, std::move(m));
  }
}

void AbdNode::OnMessage(const Message& msg) {
  const PeerMessage* peer = std::get_if<PeerMessage>(&msg.body);
  if (!replica_.open() || peer == nullptr || msg.type != MessageType::kPeer ||
      std::find(config_.members.begin(), config_.members.end(), msg.from) == config_.members.end()) {
    ++ignored_messages_;
    return;
  }
  absl::StatusOr<RegisterMessage> m = DecodeRegisterMessage(kAbdPolicyTag, *peer);
  if (!m.ok()) {
    ++ignored_messages_;
    return;
  }
  Dispatch(msg.from, *std::move(m));
  DrainLocal();
}

void AbdNode::OnTimer(TimerToken token) {
  if (token != kTickTimer || !replica_.open()) return;
  env_.SetTimer(options_.retry, kTickTimer);
  Expire();
  for (const auto& [id, op] : ops_) SendPhase(id, op);
  DrainLocal();
}

// Past its deadline an op gives up: nothing stored yet (a query phase, or a read's write-back of
// a value another write put there) means the client may retry; a write's store phase may have
// reached some replicas, so its outcome is unknown.
void AbdNode::Expire() {
  const Nanos now = env_.Now();
  for (auto it = ops_.begin(); it != ops_.end();) {
    const PendingOp& op = it->second;
    if (now < op.deadline) {
      ++it;
      continue;
    }
    ++timeouts_;
    if (op.phase == Phase::kStore && op.cmd.op != Op::kGet) {
      ReplyNow(op.handle, ReplyStatus::kUnknown, "abd: the write reached fewer than a majority in time");
    } else {
      ReplyNow(op.handle, ReplyStatus::kTryAgain, "TRYAGAIN abd: no majority answered in time");
    }
    it = ops_.erase(it);
  }
}

void AbdNode::OnSyncDone(SyncToken token, absl::Status status) { replica_.OnSyncDone(token, std::move(status)); }

void AbdNode::EndTurn() { replica_.EndTurn(); }

// The local replica's storage failed (its held acks are dropped, never sent); the ops this node coordinates
// stop (a write in its store phase may have reached replicas: unknown).
void AbdNode::FailOps() {
  local_.clear();
  for (auto& [id, op] : ops_) {
    if (op.phase == Phase::kStore && op.cmd.op != Op::kGet) {
      ReplyNow(op.handle, ReplyStatus::kUnknown, "abd: storage failed");
    } else {
      ReplyNow(op.handle, ReplyStatus::kTryAgain, "TRYAGAIN abd: storage failed");
    }
  }
  ops_.clear();
}

NodeStatus AbdNode::Status() const {
  NodeStatus s;
  s.role = "replica";
  // applied_index stays 0: replicas of a register hold what majorities wrote, not equal states,
  // so the equal-state convergence check does not apply.
  s.failed = failed();
  return s;
}

std::vector<std::pair<std::string, std::string>> AbdNode::Info() const {
  std::vector<std::pair<std::string, std::string>> info = {
      {"role", "replica"},
      {"policy", "abd"},
      {"node_id", absl::StrCat(config_.self)},
      {"fsync", config_.fsync ? "yes" : "no"},
      {"started", replica_.open() ? "yes" : "no"},
      {"pending_ops", absl::StrCat(ops_.size())},
      {"op_timeouts", absl::StrCat(timeouts_)},
      {"ignored_messages", absl::StrCat(ignored_messages_)},
  };
  replica_.AppendInfo(info);
  return info;
}

}  // namespace kvlab::core
