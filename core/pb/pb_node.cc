#include "core/pb/pb_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {
constexpr TimerToken kPbTickToken = 1;
// An Install carries the whole state; above this it cannot travel in one message.
constexpr size_t kPbMaxInstallBytes = kMaxMessageBytes - 64 * 1024;
}  // namespace

PbNode::PbNode(const NodeConfig& config, Env& env, PbOptions options)
    : config_(config), env_(env), options_(options), vs_(config, env, options.tag, options.view) {}

absl::Status PbNode::Start() {
  KvStoreOptions o{.fsync = config_.fsync};
  o.file_prefix = options_.file_prefix;
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(env_.disk(), o);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  if (absl::Status s = vs_.Start(); !s.ok()) return s;
  forward_epoch_ = env_.rng().Next() & 0xFFFF'FFFFull;
  env_.SetTimer(kPbTick, kPbTickToken);
  return absl::OkStatus();
}

// --- Messages ---------------------------------------------------------------------------------

void PbNode::Send(NodeId to, const PbMessage& m) {
  env_.Send(to, Message{MessageType::kPeer, config_.self, to, EncodePbMessage(m, options_.tag)});
}

void PbNode::SendClient(NodeId to, MessageType type, MessageBody body) {
  env_.Send(to, Message{type, config_.self, to, std::move(body)});
}

void PbNode::SendReply(const Origin& origin, ClientReply reply) {
  if (origin.via == kNoNode) return env_.Reply(origin.handle, std::move(reply));
  reply.request_id = origin.forward_id;
  SendClient(origin.via, MessageType::kForwardReply, std::move(reply));
}

void PbNode::ReplyError(const Origin& origin, ReplyStatus status, std::string why) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(why);
  SendReply(origin, std::move(reply));
}

void PbNode::OnMessage(const Message& msg) {
  if (store_ == nullptr || msg.from == config_.self) return;
  if (std::find(config_.members.begin(), config_.members.end(), msg.from) == config_.members.end()) return;
  if (vs_.OnMessage(msg)) return;
  if (stopped_) return;
  if (msg.type == MessageType::kForwardRequest) return OnForwardRequest(msg.from, std::get<ClientRequest>(msg.body));
  if (msg.type == MessageType::kForwardReply) return OnForwardReply(std::get<ClientReply>(msg.body));
  if (msg.type != MessageType::kPeer) return;
  absl::StatusOr<PbMessage> m = DecodePbMessage(std::get<PeerMessage>(msg.body), options_.tag);
  if (!m.ok()) {
    ++bad_messages_;
    return;
  }
  if (const auto* i = std::get_if<PbInstall>(&*m)) return OnInstall(msg.from, *i);
  if (const auto* a = std::get_if<PbInstallAck>(&*m)) return OnInstallAck(msg.from, *a);
  if (const auto* r = std::get_if<PbReplicate>(&*m)) return OnReplicate(msg.from, *r);
  return OnAck(msg.from, std::get<PbAck>(*m));
}

void PbNode::OnTimer(TimerToken token) {
  if (vs_.OnTimer(token)) return;
  if (token != kPbTickToken || store_ == nullptr) return;
  env_.SetTimer(kPbTick, kPbTickToken);
  if (!stopped_) Tick();
}

void PbNode::OnSyncDone(SyncToken token, absl::Status status) {
  if (vs_.OnSyncDone(token, status) || store_ == nullptr) return;
  store_->OnSyncDone(token, status).IgnoreError();  // a failure stays in store_->failure().
}

void PbNode::EndTurn() {
  if (store_ == nullptr) return;
  vs_.EndTurn();
  if (vs_.failed() && !stopped_) Fail();
  if (failed() && !stopped_) Fail();
  if (stopped_) return;
  if (vs_.view().epoch != epoch_) OnNewView();
  DispatchWaiting();
  ReplicateToBackups();
  AdvanceCommit();
  ReleaseHeld();
  if (!primary_) SendAck();
  store_->StartSync();
}

void PbNode::Fail() {
  stopped_ = true;
  vs_.Withdraw();
  FailHeld("node storage failed");
  for (Request& r : waiting_) ReplyError(r.origin, ReplyStatus::kTryAgain, "TRYAGAIN node storage failed");
  waiting_.clear();
}

// --- Views ------------------------------------------------------------------------------------

void PbNode::OnNewView() {
  const View& v = vs_.view();
  const bool now_member = v.Admits(config_.self, vs_.nonce());
  const bool now_primary = now_member && v.primary() == config_.self;
  if (primary_ && !now_primary) FailHeld("no longer the primary");
  if (!now_member) FailHeld("no longer a member");
  ++view_changes_;
  epoch_ = v.epoch;
  primary_ = now_primary;
  member_ = now_member;
  // What this node committed in an older view is no measure in this one (its state may have
  // been replaced since): the epoch counts afresh.
  committed_ = replicated_ = 0;
  installed_ = primary_;
  installed_lsn_ = store_->last_lsn();
  active_ = false;
  ack_due_ = false;
  acked_sent_ = 0;
  backups_.clear();
  buffer_.clear();
  upstream_ = kNoNode;
  std::vector<NodeId> downstream;
  if (member_ && chain()) {
    upstream_ = v.Predecessor(config_.self);
    if (const NodeId next = v.Successor(config_.self); next != kNoNode) downstream.push_back(next);
  } else if (primary_) {
    for (size_t i = 1; i < v.members.size(); ++i) downstream.push_back(v.members[i].id);
  } else if (member_) {
    upstream_ = v.primary();
  }
  for (NodeId id : downstream) {
    Backup b;
    b.id = id;
    b.last_progress = env_.Now();
    backups_.push_back(b);
  }
  if (primary_ && backups_.empty()) Activate();
  // Requests forwarded to a primary of an older view will not be answered by it.
  for (auto& [id, f] : forwarded_) {
    ClientReply reply;
    reply.status = f.read_only ? ReplyStatus::kTryAgain : ReplyStatus::kUnknown;
    reply.message = "view changed while the request was forwarded";
    env_.Reply(f.handle, std::move(reply));
  }
  forwarded_.clear();
}

// The primary's state is at every member: everything in it counts as committed once the backups
// acked the transfer (AdvanceCommit), and reads wait for that.
void PbNode::Activate() {
  active_ = true;
  all_keys_lsn_ = store_->last_lsn();
  key_lsn_.clear();
  vs_.ReportReady(epoch_);
}

bool PbNode::Ready() const {
  if (store_ == nullptr || stopped_) return false;
  if (primary_) return active_;
  return vs_.view().epoch != 0 && vs_.ReadyMarked(vs_.view().epoch);
}

void PbNode::Tick() {
  const Nanos now = env_.Now();
  // Expired requests: a write's fate is unknown, a read had no effect.
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    if (it->read_only) {
      ReplyError(it->origin, ReplyStatus::kTryAgain, "TRYAGAIN read not committed in time");
    } else {
      ReplyError(it->origin, ReplyStatus::kUnknown, "write not committed in time");
    }
    it = held_.erase(it);
  }
  size_t kept = 0;
  for (size_t i = 0; i < waiting_.size(); ++i) {
    if (waiting_[i].deadline > now) {
      if (kept != i) waiting_[kept] = std::move(waiting_[i]);
      ++kept;
    } else {
      ReplyError(waiting_[i].origin, ReplyStatus::kTryAgain, "TRYAGAIN no serving primary");
    }
  }
  waiting_.resize(kept);
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    ClientReply reply;
    reply.status = it->second.read_only ? ReplyStatus::kTryAgain : ReplyStatus::kUnknown;
    reply.message = "forwarded request timed out";
    env_.Reply(it->second.handle, std::move(reply));
    it = forwarded_.erase(it);
  }
  for (Backup& b : backups_) {
    if (b.installed && b.acked < b.sent && now - b.last_progress > options_.retransmit) {
      b.sent = b.acked;  // resend from the first write it has not acked.
      b.last_progress = now;
    }
  }
  Suspect();
  if (!primary_ && active_ && now - last_ack_send_ > options_.retransmit) {
    ack_due_ = true;  // a lost ack is repeated.
  }
}

// A downstream member that made no progress for a lapse is reported to the view service, which
// removes it.
void PbNode::Suspect() {
  const Nanos now = env_.Now();
  NodeId suspect = kNoNode;
  for (const Backup& b : backups_) {
    const bool behind = !b.installed || b.acked < PassableLsn();
    if (installed_ && behind && now - b.last_progress > options_.view.lapse) suspect = b.id;
  }
  vs_.ReportSuspect(suspect);
}

// --- Requests ---------------------------------------------------------------------------------

void PbNode::OnClientRequest(ReplyHandle handle, Command cmd) {
  if (store_ == nullptr || stopped_) {
    ClientReply reply;
    reply.status = ReplyStatus::kTryAgain;
    reply.message = store_ == nullptr ? "TRYAGAIN node not started" : "TRYAGAIN node storage failed";
    return env_.Reply(handle, std::move(reply));
  }
  Accept(Origin{kNoNode, handle, 0}, std::move(cmd));
}

void PbNode::Accept(Origin origin, Command cmd) {
  if (held_.size() + waiting_.size() + forwarded_.size() >= kMaxPendingClientRequests) {
    return ReplyError(origin, ReplyStatus::kBusy, "BUSY too many pending requests");
  }
  if (absl::Status s = ValidateCommand(cmd); !s.ok()) {
    return ReplyError(origin, ReplyStatus::kInvalid, std::string(s.message()));
  }
  Route(Request{origin, std::move(cmd), env_.Now() + options_.request_timeout});
}

// Writes go to the primary (head); reads to the primary (pb), the tail (chain) or any member
// (craq). A node that cannot serve a request forwards it once; a forwarded one is refused.
void PbNode::Route(Request req) {
  const bool read_only = IsReadOnly(req.cmd.op);
  if (read_only ? ServesReads() : primary_) {
    // A read needs the lease: no other view can have acknowledged a write meanwhile.
    if (active_ && (!read_only || vs_.LeaseValid(epoch_))) return Serve(std::move(req));
    waiting_.push_back(std::move(req));
    return;
  }
  if (req.origin.via != kNoNode) {
    return ReplyError(req.origin, ReplyStatus::kTryAgain,
                      read_only ? "TRYAGAIN not the read server" : "TRYAGAIN not the primary");
  }
  const View& v = vs_.view();
  const NodeId to = read_only ? ReadTarget() : v.primary();
  if (v.epoch != 0 && to != kNoNode && to != config_.self && vs_.ReadyMarked(v.epoch)) {
    return Forward(to, std::move(req));
  }
  waiting_.push_back(std::move(req));
}

bool PbNode::ServesReads() const {
  if (!member_) return false;
  switch (options_.reads) {
    case PbReads::kTail: return backups_.empty();  // a chain member without a successor.
    case PbReads::kCraq: return true;
    default: return primary_;
  }
}

NodeId PbNode::ReadTarget() const {
  const View& v = vs_.view();
  if (options_.reads == PbReads::kPrimary || v.members.empty()) return v.primary();
  return v.members.back().id;
}

void PbNode::DispatchWaiting() {
  if (waiting_.empty()) return;
  std::vector<Request> waiting = std::move(waiting_);
  waiting_.clear();
  for (Request& r : waiting) Route(std::move(r));
}

void PbNode::Serve(Request req) {
  const int64_t now_ms = env_.Now() / kNanosPerMilli;
  const bool read_only = IsReadOnly(req.cmd.op);
  if (read_only) {
    const uint64_t needs = ObservedLsn(req.cmd);
    const uint64_t clean = replicated_;  // durable here and downstream: committed.
    if (needs > clean && options_.reads == PbReads::kCraq && !backups_.empty()) {
      // A dirty key at a member before the tail: the tail answers with the committed version.
      ++dirty_reads_;
      if (req.origin.via != kNoNode) return ReplyError(req.origin, ReplyStatus::kTryAgain, "TRYAGAIN dirty key");
      return Forward(ReadTarget(), std::move(req));
    }
    Result result = store_->Apply(req.cmd, now_ms);
    if (needs <= clean) {
      if (!backups_.empty() && options_.reads == PbReads::kCraq) ++clean_reads_;
      ClientReply reply;
      reply.result = std::move(result);
      return SendReply(req.origin, std::move(reply));
    }
    // Held behind the newest write (held_ stays in LSN order), never shorter than needed.
    held_.push_back(Held{req.origin, store_->last_lsn(), true, std::move(result), req.deadline});
    return;
  }
  const uint64_t before = store_->last_lsn();
  Result result = store_->Apply(req.cmd, now_ms);
  if (store_->last_lsn() == before) {  // not logged: the storage failed.
    return ReplyError(req.origin, ReplyStatus::kTryAgain, "TRYAGAIN node storage failed");
  }
  const uint64_t lsn = store_->last_lsn();
  buffer_.push_back(PbEntry{lsn, now_ms, req.cmd});
  NoteWrite(req.cmd, lsn);
  held_.push_back(Held{req.origin, lsn, false, std::move(result), req.deadline});
}

void PbNode::NoteWrite(const Command& cmd, uint64_t lsn) {
  if (cmd.keys.empty() || key_lsn_.size() + cmd.keys.size() > kMaxTrackedWriteKeys) {
    all_keys_lsn_ = lsn;
    key_lsn_.clear();
    return;
  }
  for (const std::string& key : cmd.keys) key_lsn_[key] = lsn;
}

uint64_t PbNode::ObservedLsn(const Command& cmd) const {
  if (cmd.keys.empty()) return store_->last_lsn();
  uint64_t lsn = all_keys_lsn_;
  for (const std::string& key : cmd.keys) {
    auto it = key_lsn_.find(key);
    if (it != key_lsn_.end()) lsn = std::max(lsn, it->second);
  }
  return lsn;
}

void PbNode::Forward(NodeId to, Request req) {
  const uint64_t id = (forward_epoch_ << 32) | next_forward_id_++;
  forwarded_[id] = Forwarded{req.origin.handle, IsReadOnly(req.cmd.op), req.deadline};
  SendClient(to, MessageType::kForwardRequest, ClientRequest{id, std::move(req.cmd)});
}

void PbNode::OnForwardRequest(NodeId from, const ClientRequest& req) {
  // The network may duplicate messages: a write applied twice could overwrite a later write.
  const std::pair<NodeId, uint64_t> key{from, req.request_id};
  if (!seen_forwards_.insert(key).second) return;
  seen_order_.push_back(key);
  if (seen_order_.size() > kPbForwardDedupWindow) {
    seen_forwards_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  Accept(Origin{from, 0, req.request_id}, req.command);
}

void PbNode::OnForwardReply(const ClientReply& reply) {
  auto it = forwarded_.find(reply.request_id);
  if (it == forwarded_.end()) return;
  env_.Reply(it->second.handle, reply);
  forwarded_.erase(it);
}

// --- Primary: state transfer, replication, commit ---------------------------------------------

PbNode::Backup* PbNode::FindBackup(NodeId id) {
  for (Backup& b : backups_) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

void PbNode::SendInstall(Backup& b) {
  const Nanos now = env_.Now();
  if (now - b.last_send < options_.retransmit) return;
  if (PassableLsn() < store_->last_lsn()) return;  // a chain member passes on only what it synced.
  b.last_send = now;
  std::string state;
  ByteWriter w(&state);
  store_->state().EncodeSnapshot(w);
  if (state.size() > kPbMaxInstallBytes) return;  // too large to transfer: the epoch cannot start.
  ++installs_sent_;
  Send(b.id, PbInstall{epoch_, store_->last_lsn(), std::move(state)});
}

void PbNode::ReplicateToBackups() {
  const uint64_t last = PassableLsn();
  for (Backup& b : backups_) {
    if (!b.installed) {
      if (installed_) SendInstall(b);
      continue;
    }
    if (!active_ || b.sent >= last) continue;
    const uint64_t base = buffer_.empty() ? store_->last_lsn() : buffer_.front().lsn - 1;
    if (b.sent < base) {  // what it needs is no longer buffered: transfer the state again.
      b.installed = false;
      b.last_progress = env_.Now();
      SendInstall(b);
      continue;
    }
    PbReplicate rep{epoch_, {}};
    for (size_t i = b.sent - base;
         i < buffer_.size() && buffer_[i].lsn <= last && rep.entries.size() < kPbMaxEntriesPerSend; ++i) {
      rep.entries.push_back(buffer_[i]);
    }
    if (b.acked >= b.sent) b.last_progress = env_.Now();  // a send into an empty pipeline.
    b.sent = rep.entries.back().lsn;
    Send(b.id, rep);
  }
  TrimBuffer();
}

void PbNode::TrimBuffer() {
  uint64_t keep_after = store_->last_lsn();
  for (const Backup& b : backups_) keep_after = std::min(keep_after, b.installed ? b.acked : keep_after);
  while (!buffer_.empty() && (buffer_.front().lsn <= keep_after || buffer_.size() > kPbMaxBuffered)) {
    buffer_.pop_front();
  }
}

void PbNode::OnInstallAck(NodeId from, const PbInstallAck& m) {
  Backup* b = FindBackup(from);
  if (m.epoch != epoch_ || b == nullptr) {
    ++fenced_;
    return;
  }
  if (!b->installed) {
    b->installed = true;
    b->acked = std::max(b->acked, m.lsn);
    b->sent = b->acked;
    b->last_progress = env_.Now();
  }
  if (!active_ && installed_ && DownstreamInstalled()) {
    if (primary_) return Activate();
    AckInstall();
  }
}

bool PbNode::DownstreamInstalled() const {
  return std::all_of(backups_.begin(), backups_.end(), [](const Backup& x) { return x.installed; });
}

// Below the primary: this member and everything after it hold the epoch's state durably.
void PbNode::AckInstall() {
  active_ = true;
  acked_sent_ = installed_lsn_;
  last_ack_send_ = env_.Now();
  Send(upstream_, PbInstallAck{epoch_, installed_lsn_});
}

void PbNode::OnAck(NodeId from, const PbAck& m) {
  Backup* b = FindBackup(from);
  if (m.epoch != epoch_ || b == nullptr) {
    ++fenced_;
    return;
  }
  if (!b->installed || m.lsn <= b->acked) return;
  // Within an epoch a downstream member holds a prefix of this node's log, so its ack is the truth.
  b->acked = std::min(m.lsn, store_->last_lsn());
  b->sent = std::max(b->sent, b->acked);
  b->last_progress = env_.Now();
}

// replicated = what the primary's disk and every backup's ack cover; committed (what a write's
// acknowledgement waits for) is that in sync mode and the primary's disk alone in async mode.
// Reads wait for `replicated` in both modes: a read never shows a write a failover could take
// back, so async's only anomaly is the loss of acknowledged writes. Nothing new commits before
// the epoch's state transfer completes.
void PbNode::AdvanceCommit() {
  if (!active_) return;
  const uint64_t durable = DurableLsn();
  uint64_t replicated = durable;
  for (const Backup& b : backups_) replicated = std::min(replicated, b.acked);
  replicated_ = std::max(replicated_, replicated);
  committed_ = std::max(committed_, options_.mode == PbMode::kSync ? replicated : durable);
  if (replicated_ >= store_->last_lsn() && !key_lsn_.empty()) key_lsn_.clear();
}

void PbNode::ReleaseHeld() {
  while (!held_.empty() && active_) {
    Held& h = held_.front();
    if (h.lsn > (h.read_only ? replicated_ : committed_)) return;
    // async: an acknowledgement promises the write to a client only while no other primary can
    // exist (the lease); without it the reply waits (and times out as unknown).
    if (!h.read_only && options_.mode == PbMode::kAsync && !vs_.LeaseValid(epoch_)) return;
    ClientReply reply;
    reply.result = std::move(h.result);
    SendReply(h.origin, std::move(reply));
    held_.pop_front();
  }
}

void PbNode::FailHeld(const char* why) {
  for (Held& h : held_) {
    ReplyError(h.origin, h.read_only ? ReplyStatus::kTryAgain : ReplyStatus::kUnknown,
               h.read_only ? absl::StrCat("TRYAGAIN ", why) : std::string(why));
  }
  held_.clear();
}

// --- Backup -----------------------------------------------------------------------------------

bool PbNode::FromUpstream(NodeId from, uint64_t epoch) const {
  const View& v = vs_.view();
  return upstream_ != kNoNode && from == upstream_ && epoch == epoch_ && epoch == v.epoch &&
         v.Admits(config_.self, vs_.nonce());
}

void PbNode::OnInstall(NodeId from, const PbInstall& m) {
  if (!FromUpstream(from, m.epoch)) {
    ++fenced_;
    return;
  }
  // Within an epoch a member's state is a prefix of its upstream's: a transfer of an older point
  // than it holds changes nothing (its state never goes back).
  if (!installed_ || store_->last_lsn() < m.lsn) {
    ByteReader r(m.state);
    absl::StatusOr<KvState> state = KvState::DecodeSnapshot(r);
    if (!state.ok() || !r.done()) {
      ++bad_messages_;
      return;
    }
    if (absl::Status s = store_->InstallState(*std::move(state), m.lsn); !s.ok()) return Fail();
    ++installs_done_;
    installed_lsn_ = m.lsn;
    buffer_.clear();
    active_ = false;  // what is downstream holds none of the new state: it is installed afresh.
    for (Backup& b : backups_) {
      b.installed = false;
      b.last_progress = env_.Now();
    }
    all_keys_lsn_ = m.lsn;  // reads here wait until the installed state is replicated below.
    key_lsn_.clear();
  }
  installed_ = true;
  if (DownstreamInstalled()) AckInstall();
}

void PbNode::OnReplicate(NodeId from, const PbReplicate& m) {
  if (!FromUpstream(from, m.epoch) || !installed_) {
    ++fenced_;
    return;
  }
  for (const PbEntry& e : m.entries) {
    if (e.lsn <= store_->last_lsn()) continue;   // a duplicate.
    if (e.lsn != store_->last_lsn() + 1) break;  // a gap: the primary resends.
    if (IsReadOnly(e.command.op) || !ValidateCommand(e.command).ok()) {
      ++bad_messages_;
      return;
    }
    store_->Apply(e.command, e.now_ms);
    if (failed()) return;
    NoteWrite(e.command, e.lsn);
    if (!backups_.empty()) buffer_.push_back(e);
  }
  ack_due_ = true;
}

// A member acks only what its disk has synced and, in a chain, what its successor acked.
void PbNode::SendAck() {
  if (!active_ || upstream_ == kNoNode) return;
  const uint64_t acked = replicated_;
  if (acked <= acked_sent_ && !ack_due_) return;
  if (acked < acked_sent_) return;
  ack_due_ = false;
  acked_sent_ = acked;
  last_ack_send_ = env_.Now();
  Send(upstream_, PbAck{epoch_, acked});
}

// --- Reports ----------------------------------------------------------------------------------

NodeStatus PbNode::Status() const {
  NodeStatus s;
  if (!chain()) {
    s.role = primary_ ? "primary" : (active_ ? "backup" : "idle");
  } else {
    s.role = primary_ ? "head" : (!active_ ? "idle" : (backups_.empty() ? "tail" : "middle"));
  }
  s.leads = primary_ && active_;
  s.term = epoch_;
  s.leader = vs_.view().primary();
  // What every member holds: a failover keeps it (async acknowledges more: the lag).
  s.commit_index = replicated_;
  s.applied_index = store_ != nullptr ? store_->last_lsn() : 0;
  s.failed = stopped_;
  return s;
}

std::vector<std::pair<std::string, std::string>> PbNode::Info() const {
  return {
      {"policy", options_.name},
      {"mode", chain() ? (options_.reads == PbReads::kCraq ? "craq" : "tail")
                       : (options_.mode == PbMode::kSync ? "sync" : "async")},
      {"node_id", absl::StrCat(config_.self)},
      {"role", Status().role},
      {"epoch", absl::StrCat(epoch_)},
      {"view", DescribeView(vs_.view())},
      {"view_leader", vs_.leads() ? "yes" : "no"},
      {"last_lsn", absl::StrCat(store_ ? store_->last_lsn() : 0)},
      {"committed", absl::StrCat(committed_)},
      {"held_replies", absl::StrCat(held_.size())},
      {"view_changes", absl::StrCat(view_changes_)},
      {"installs_sent", absl::StrCat(installs_sent_)},
      {"installs_done", absl::StrCat(installs_done_)},
      {"fenced_messages", absl::StrCat(fenced_)},
      {"craq_clean_reads", absl::StrCat(clean_reads_)},
      {"craq_dirty_reads", absl::StrCat(dirty_reads_)},
      {"bad_messages", absl::StrCat(bad_messages_)},
      {"storage_error", stopped_ ? "yes" : "none"},
  };
}

}  // namespace kvlab::core
