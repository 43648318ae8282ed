#include "core/quorum/quorum_node.h"

#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

constexpr TimerToken kTickTimer = 1;
constexpr TimerToken kAntiEntropyTimer = 2;

ClientReply WithResult(Result r) {
  ClientReply reply;
  reply.result = std::move(r);
  return reply;
}

ClientReply Refused(ReplyStatus status, std::string message) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(message);
  return reply;
}

bool Contains(const std::vector<NodeId>& v, NodeId id) { return std::find(v.begin(), v.end(), id) != v.end(); }

}  // namespace

absl::Status QuorumNode::Start() {
  if (absl::Status s =
          replica_.Open(env_.disk(), VersionedFiles{kQuorumWalFile, kQuorumSnapshotFile, kQuorumSnapshotTmpFile},
                        {.fsync = config_.fsync});
      !s.ok()) {
    return s;
  }
  if (options_.sloppy) {
    if (absl::Status s = hints_.Open(env_.disk(), config_.fsync); !s.ok()) return s;
  }
  // Op ids of an earlier life must not match: their answers may still be in flight.
  next_op_ = (env_.rng().Next() & 0xffff'ffffULL) << 32;
  // Stamps stay above every version this replica holds (a clock that went back since).
  for (const auto& [key, e] : replica_.store().entries()) Witness(e.version);
  env_.SetTimer(options_.retry, kTickTimer);
  env_.SetTimer(options_.ae_interval, kAntiEntropyTimer);
  return absl::OkStatus();
}

// Hybrid logical clock: above the physical time and above every stamp issued or witnessed.
Version QuorumNode::Stamp() {
  const uint64_t physical = static_cast<uint64_t>(std::max<Nanos>(0, env_.Now() / kNanosPerMilli)) << kHlcLogicalBits;
  hlc_ = std::max(hlc_ + 1, physical);
  return Version{hlc_, config_.self};
}

void QuorumNode::Witness(Version v) { hlc_ = std::max(hlc_, v.stamp); }

void QuorumNode::ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(message);
  env_.Reply(handle, std::move(reply));
}

void QuorumNode::Answer(PendingOp& op, ClientReply reply) {
  if (op.replied) return;
  op.replied = true;
  env_.Reply(op.handle, std::move(reply));
}

void QuorumNode::OnClientRequest(ReplyHandle handle, Command cmd) {
  if (!replica_.open()) return ReplyNow(handle, ReplyStatus::kTryAgain, "TRYAGAIN node not started");
  if (failed()) return ReplyNow(handle, ReplyStatus::kTryAgain, "TRYAGAIN node storage failed");
  if (absl::Status s = ValidateCommand(cmd); !s.ok()) {
    return ReplyNow(handle, ReplyStatus::kInvalid, std::string(s.message()));
  }
  switch (cmd.op) {
    case Op::kGet: break;
    case Op::kPut:
      if (cmd.condition != PutCondition::kAlways || cmd.expire_at_ms != 0) {
        return env_.Reply(handle,
                          WithResult(Result::Error("ERR quorum supports plain SET only (no NX, XX or expiry)")));
      }
      break;
    case Op::kDel:
      if (cmd.keys.size() != 1) {
        return env_.Reply(handle, WithResult(Result::Error("ERR quorum deletes one key per command")));
      }
      break;
    default:
      return env_.Reply(handle, WithResult(Result::Error(absl::StrCat("ERR quorum does not support ", OpName(cmd.op),
                                                                      " (per-key replication: GET, SET, DEL only)"))));
  }
  if (ops_.size() >= kQuorumMaxPendingOps) {
    return ReplyNow(handle, ReplyStatus::kBusy, "BUSY too many pending requests");
  }
  const uint64_t id = ++next_op_;
  PendingOp& op = ops_[id];
  op.handle = handle;
  op.cmd = std::move(cmd);
  op.replicas = ring_.PreferenceList(op.cmd.keys[0]);
  op.targets = op.replicas;
  op.deadline = env_.Now() + options_.op_timeout;
  // Writes read first too: their stamp then exceeds every version R replicas hold, so it
  // supersedes every write acknowledged before it began (R + W > N), whatever the clocks' skew.
  StartPhase(id, op, Phase::kQuery, options_.r);
  DrainLocal();
}

void QuorumNode::StartPhase(uint64_t id, PendingOp& op, Phase phase, size_t needed) {
  op.phase = phase;
  op.answered.clear();
  op.needed = needed;
  op.phase_start = env_.Now();
  if (options_.sloppy && op.cmd.op != Op::kGet && phase != Phase::kRepair) {  // known-down: replaced at once.
    std::vector<NodeId> down;
    for (NodeId r : op.replicas) {
      if (Contains(suspects_, r)) down.push_back(r);
    }
    StandIn(op, down);
  }
  SendPhase(id, op);
}

void QuorumNode::SendPhase(uint64_t id, const PendingOp& op) {
  for (NodeId to : op.targets) {
    if (Contains(op.answered, to)) continue;
    if (op.phase == Phase::kQuery) {
      Deliver(to, RegQuery{id, op.cmd.keys[0]});
    } else if (Contains(op.stand_ins, to)) {
      Deliver(to, QuorumHint{id, op.cmd.keys[0], op.best});
    } else {
      Deliver(to, RegStore{id, op.cmd.keys[0], op.best});
    }
  }
}

bool QuorumNode::Finished(const PendingOp& op) const { return op.replied && op.answered.size() >= op.targets.size(); }

void QuorumNode::OnQueryReply(NodeId from, const RegQueryReply& m) {
  auto it = ops_.find(m.op);
  if (it == ops_.end() || it->second.phase != Phase::kQuery || m.key != it->second.cmd.keys[0]) return;
  PendingOp& op = it->second;
  if (!Contains(op.targets, from) || Contains(op.answered, from)) return;
  op.answered.push_back(from);
  Witness(m.entry.version);
  op.seen.emplace_back(from, m.entry.version);
  if (op.replied) {  // a late reply to an answered read: repair it if stale.
    if (m.entry.version < op.best.version) Repair(0, op, from, m.entry.version);
  } else {
    if (op.best.version < m.entry.version) op.best = m.entry;
    // Past its deadline the client has given up: a write must not take effect this late.
    if (op.answered.size() >= op.needed && env_.Now() < op.deadline) QueryDone(it->first, op);
  }
  if (Finished(op)) ops_.erase(m.op);
}

void QuorumNode::QueryDone(uint64_t id, PendingOp& op) {
  const bool present = !op.best.version.zero() && !op.best.tombstone;
  if (op.cmd.op != Op::kGet) {  // SET or DEL: the query's replies were witnessed, Stamp() is above them.
    op.result = op.cmd.op == Op::kPut ? Result::Ok() : Result::Integer(present ? 1 : 0);
    op.best =
        op.cmd.op == Op::kPut ? VersionedEntry{Stamp(), false, op.cmd.values[0]} : VersionedEntry{Stamp(), true, ""};
    op.seen.clear();
    return StartPhase(id, op, Phase::kStore, options_.w);
  }
  op.result = present ? Result::Value(op.best.value) : Result::Nil();
  std::vector<NodeId> stale;
  for (const auto& [node, version] : op.seen) {
    if (version < op.best.version) stale.push_back(node);
  }
  if (options_.sync_read_repair && !stale.empty()) {  // answer once the stale replicas hold it.
    op.targets = stale;
    return StartPhase(id, op, Phase::kRepair, stale.size());
  }
  for (NodeId node : stale) Repair(0, op, node, Version{});
  Answer(op, WithResult(op.result));
}

// Read repair: pushes the read's answer to a replica that answered an older version. With op 0 no
// ack comes back (asynchronous repair).
void QuorumNode::Repair(uint64_t id, PendingOp& op, NodeId to, Version seen) {
  ++read_repairs_;
  Deliver(to, RegStore{id, op.cmd.keys[0], op.best});
}

// The next nodes on the ring past the preference list (not yet targets, preferring unsuspected
// ones) stand in, one for each silent replica not replaced yet.
void QuorumNode::StandIn(PendingOp& op, const std::vector<NodeId>& silent) {
  const std::vector<NodeId> walk = ring_.Walk(op.cmd.keys[0], config_.members.size());
  size_t wanted = silent.size() > op.replaced ? silent.size() - op.replaced : 0;
  for (int pass = 0; pass < 2 && wanted > 0; ++pass) {
    for (size_t i = op.replicas.size(); i < walk.size() && wanted > 0; ++i) {
      const NodeId node = walk[i];
      if (Contains(op.targets, node) || (pass == 0 && Contains(suspects_, node))) continue;
      op.targets.push_back(node);
      op.stand_ins.push_back(node);
      ++op.replaced;
      ++stand_ins_;
      --wanted;
    }
  }
}

// Sloppy: a write's phase unanswered by some replicas for retry_ms marks them down and replaces them.
// Reads keep to the replicas: a stand-in without the key's hint would answer "never written".
void QuorumNode::Suspect(uint64_t id, PendingOp& op) {
  if (op.replied || op.cmd.op == Op::kGet || env_.Now() - op.phase_start < options_.retry) return;
  std::vector<NodeId> silent;
  for (NodeId r : op.replicas) {
    if (Contains(op.answered, r)) continue;
    silent.push_back(r);
    if (!Contains(suspects_, r)) suspects_.push_back(r);
  }
  StandIn(op, silent);
}

void QuorumNode::OnStoreAck(NodeId from, const RegStoreAck& m) {
  auto it = ops_.find(m.op);
  if (it == ops_.end() && hints_.open()) {
    hints_.OnAck(from, m, ring_);  // a handoff's ack, or a late one: either way no op's.
    return;
  }
  if (it == ops_.end() || it->second.phase == Phase::kQuery || m.key != it->second.cmd.keys[0]) return;
  PendingOp& op = it->second;
  if (!Contains(op.targets, from) || Contains(op.answered, from)) return;
  op.answered.push_back(from);
  if (!op.replied && op.answered.size() >= op.needed) Answer(op, WithResult(op.result));
  if (Finished(op)) ops_.erase(it);
}

// A stand-in answers from its hints too (the newer of the two).
void QuorumNode::HandleQuery(NodeId from, const RegQuery& m) {
  RegQueryReply reply = replica_.Query(m);
  if (hints_.open()) {
    const VersionedEntry* hint = hints_.Find(m.key);
    if (hint != nullptr && reply.entry.version < hint->version) reply.entry = *hint;
  }
  Deliver(from, std::move(reply));
}

void QuorumNode::HandleHint(NodeId from, const QuorumHint& m) {
  if (!hints_.open()) return;  // not sloppy: no hints kept, none acked.
  Witness(m.entry.version);
  hints_.Keep(from, m);
}

void QuorumNode::HandleStore(NodeId from, const RegStore& m) {
  Witness(m.entry.version);
  replica_.Store(from, m);
}

bool QuorumNode::Shares(const std::string& key, NodeId peer) const {
  const std::vector<NodeId> replicas = ring_.PreferenceList(key);
  return Contains(replicas, peer) && Contains(replicas, config_.self);
}

void QuorumNode::AntiEntropyRound() {
  if (config_.members.size() < 2) return;
  std::vector<NodeId> peers;
  for (NodeId m : config_.members) {
    if (m != config_.self) peers.push_back(m);
  }
  const NodeId peer = peers[ae_peer_++ % peers.size()];
  QuorumDigest d;
  d.from = ae_cursor_;
  size_t bytes = 0;
  const auto& entries = replica_.store().entries();
  auto it = entries.lower_bound(ae_cursor_);
  for (; it != entries.end() && bytes < kQuorumDigestMaxBytes; ++it) {
    if (!Shares(it->first, peer)) continue;
    bytes += it->first.size() + 16;
    d.entries.emplace_back(it->first, it->second.version);
  }
  if (it == entries.end()) {
    ae_cursor_.clear();  // the whole key space: the next round starts over.
  } else {
    d.to = d.entries.empty() ? it->first : d.entries.back().first;
    ae_cursor_ = it->first;
  }
  Deliver(peer, std::move(d));
}

void QuorumNode::HandleDigest(NodeId from, const QuorumDigest& m) {
  absl::btree_map<std::string, Version, std::less<>> theirs(m.entries.begin(), m.entries.end());
  const auto& entries = replica_.store().entries();
  size_t pushed_bytes = 0;
  for (auto it = entries.lower_bound(m.from);
       it != entries.end() && (m.to.empty() || it->first <= m.to) && pushed_bytes < kQuorumDigestMaxBytes; ++it) {
    if (!Shares(it->first, from)) continue;
    auto t = theirs.find(it->first);
    if (t == theirs.end() || t->second < it->second.version) {
      pushed_bytes += it->first.size() + it->second.value.size();
      Push(from, it->first);
    }
  }
  QuorumWant want;
  for (const auto& [key, version] : m.entries) {
    const VersionedEntry* mine = replica_.store().Find(key);
    if ((mine == nullptr || mine->version < version) && Shares(key, from)) want.keys.push_back(key);
  }
  if (!want.keys.empty()) Deliver(from, std::move(want));
}

void QuorumNode::HandleWant(NodeId from, const QuorumWant& m) {
  for (const std::string& key : m.keys) {
    if (replica_.store().Find(key) != nullptr && Shares(key, from)) Push(from, key);
  }
}

void QuorumNode::Push(NodeId to, const std::string& key) {
  ++ae_pushes_;
  Deliver(to, RegStore{0, key, *replica_.store().Find(key)});
}

// A tombstone is dropped once its stamp is older than the grace period: by then anti-entropy has
// had time to spread it, so no replica still holds the older value it deletes.
void QuorumNode::CollectTombstones() {
  const uint64_t now_ms = static_cast<uint64_t>(std::max<Nanos>(0, env_.Now() / kNanosPerMilli));
  const uint64_t grace_ms = static_cast<uint64_t>(options_.tombstone_grace / kNanosPerMilli);
  std::vector<std::pair<std::string, Version>> expired;
  for (const auto& [key, e] : replica_.store().entries()) {
    if (e.tombstone && (e.version.stamp >> kHlcLogicalBits) + grace_ms < now_ms) expired.emplace_back(key, e.version);
  }
  for (const auto& [key, version] : expired) replica_.store().Collect(key, version);
}

void QuorumNode::Dispatch(NodeId from, QuorumMessage m) {
  if (failed()) return;
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RegQuery>) HandleQuery(from, body);
        if constexpr (std::is_same_v<T, RegQueryReply>) OnQueryReply(from, body);
        if constexpr (std::is_same_v<T, RegStore>) HandleStore(from, body);
        if constexpr (std::is_same_v<T, RegStoreAck>) OnStoreAck(from, body);
        if constexpr (std::is_same_v<T, QuorumDigest>) HandleDigest(from, body);
        if constexpr (std::is_same_v<T, QuorumWant>) HandleWant(from, body);
        if constexpr (std::is_same_v<T, QuorumHint>) HandleHint(from, body);
      },
      m);
}

void QuorumNode::Deliver(NodeId to, QuorumMessage m) {
  if (to == config_.self) {
    local_.emplace_back(config_.self, std::move(m));
    return;
  }
  Message msg;
  msg.type = MessageType::kPeer;
  msg.body = EncodeQuorumMessage(m);
  env_.Send(to, std::move(msg));
}

void QuorumNode::DrainLocal() {
  while (!local_.empty()) {
    auto [from, m] = std::move(local_.front());
    local_.pop_front();
    Dispatch(from, std::move(m));
  }
}

void QuorumNode::OnMessage(const Message& msg) {
  const PeerMessage* peer = std::get_if<PeerMessage>(&msg.body);
  if (!replica_.open() || peer == nullptr || msg.type != MessageType::kPeer || !Contains(config_.members, msg.from)) {
    ++ignored_messages_;
    return;
  }
  absl::StatusOr<QuorumMessage> m = DecodeQuorumMessage(*peer);
  if (!m.ok()) {
    ++ignored_messages_;
    return;
  }
  if (auto s = std::find(suspects_.begin(), suspects_.end(), msg.from); s != suspects_.end()) suspects_.erase(s);
  Dispatch(msg.from, *std::move(m));
  DrainLocal();
}

void QuorumNode::OnTimer(TimerToken token) {
  if (!replica_.open() || failed()) return;
  if (token == kTickTimer) {
    env_.SetTimer(options_.retry, kTickTimer);
    Expire();
    if (options_.sloppy) {
      for (auto& [id, op] : ops_) Suspect(id, op);
    }
    for (const auto& [id, op] : ops_) SendPhase(id, op);
  } else if (token == kAntiEntropyTimer) {
    env_.SetTimer(options_.ae_interval, kAntiEntropyTimer);
    CollectTombstones();
    AntiEntropyRound();
    if (hints_.open()) hints_.Round(ring_, next_op_, [this](NodeId to, RegStore m) { Deliver(to, std::move(m)); });
  }
  DrainLocal();
}

// Past its deadline an op stops. A client still waiting learns: a read or a DEL's query phase,
// try again (nothing written); a write's store phase, unknown (some replicas may hold it); a read
// waiting on its synchronous repair, the value it read.
void QuorumNode::Expire() {
  const Nanos now = env_.Now();
  for (auto it = ops_.begin(); it != ops_.end();) {
    PendingOp& op = it->second;
    if (now < op.deadline) {
      ++it;
      continue;
    }
    if (!op.replied) {
      ++timeouts_;
      if (op.phase == Phase::kStore) {
        Answer(op, Refused(ReplyStatus::kUnknown, "quorum: fewer than W replicas acknowledged in time"));
      } else if (op.phase == Phase::kRepair) {
        Answer(op, WithResult(op.result));
      } else {
        Answer(op, Refused(ReplyStatus::kTryAgain, "TRYAGAIN quorum: fewer than R replicas answered"));
      }
    }
    it = ops_.erase(it);
  }
}

void QuorumNode::OnSyncDone(SyncToken token, absl::Status status) {
  hints_.OnSyncDone(token, status);
  replica_.OnSyncDone(token, std::move(status));
}

void QuorumNode::EndTurn() {
  replica_.EndTurn();
  hints_.EndTurn();
}

// The local replica's storage failed (its held acks are dropped, never sent); the ops this node
// coordinates stop (a write in its store phase may have reached replicas: unknown).
void QuorumNode::FailOps() {
  local_.clear();
  for (auto& [id, op] : ops_) {
    if (op.phase == Phase::kStore) {
      Answer(op, Refused(ReplyStatus::kUnknown, "quorum: storage failed"));
    } else {
      Answer(op, Refused(ReplyStatus::kTryAgain, "TRYAGAIN quorum: storage failed"));
    }
  }
  ops_.clear();
}

NodeStatus QuorumNode::Status() const {
  NodeStatus s;
  s.role = "replica";
  // applied_index stays 0: replicas hold different key sets; ReplicasOf() says who holds what.
  s.failed = failed();
  return s;
}

std::vector<std::pair<std::string, std::string>> QuorumNode::Info() const {
  std::vector<std::pair<std::string, std::string>> info = {
      {"role", "replica"},
      {"policy", "quorum"},
      {"node_id", absl::StrCat(config_.self)},
      {"n_r_w", absl::StrCat(options_.n, "/", options_.r, "/", options_.w)},
      {"read_repair", options_.sync_read_repair ? "sync" : "async"},
      {"sloppy", options_.sloppy ? "yes" : "no"},
      {"fsync", config_.fsync ? "yes" : "no"},
      {"started", replica_.open() ? "yes" : "no"},
      {"pending_ops", absl::StrCat(ops_.size())},
      {"op_timeouts", absl::StrCat(timeouts_)},
      {"read_repairs", absl::StrCat(read_repairs_)},
      {"anti_entropy_pushes", absl::StrCat(ae_pushes_)},
      {"stand_ins", absl::StrCat(stand_ins_)},
      {"hints", absl::StrCat(hints_.size())},
      {"hints_handed_off", absl::StrCat(hints_.handed_off())},
      {"hints_refused", absl::StrCat(hints_.refused())},
      {"ignored_messages", absl::StrCat(ignored_messages_)},
  };
  replica_.AppendInfo(info);
  return info;
}

}  // namespace kvlab::core
