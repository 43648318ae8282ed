#include "core/view/view_service.h"

#include <algorithm>
#include <utility>

#include "core/bytes.h"

namespace kvlab::core {
namespace {

constexpr TimerToken kViewTickToken = uint64_t{1} << 40;  // the inner raft uses small tokens.

bool HasKey(const KvState* state, const std::string& key) { return state != nullptr && state->Find(key, 0); }

}  // namespace

PeerMessage EncodeViewHeartbeat(uint8_t tag, const ViewHeartbeat& m) {
  PeerMessage p{tag, kViewHeartbeatKind, {}};
  ByteWriter w(&p.payload);
  w.U64(m.nonce);
  w.I64(m.sent_at);
  w.VarU64(m.ready_epoch);
  w.U32(m.suspect);
  return p;
}

PeerMessage EncodeViewLease(uint8_t tag, const ViewLease& m) {
  PeerMessage p{tag, kViewLeaseKind, {}};
  ByteWriter w(&p.payload);
  w.I64(m.sent_at);
  w.VarU64(m.epoch);
  return p;
}

absl::StatusOr<ViewHeartbeat> DecodeViewHeartbeat(const PeerMessage& m) {
  ByteReader r(m.payload);
  ViewHeartbeat hb;
  if (m.kind != kViewHeartbeatKind || !r.U64(&hb.nonce) || !r.I64(&hb.sent_at) || !r.VarU64(&hb.ready_epoch) ||
      !r.U32(&hb.suspect) || !r.done()) {
    return absl::DataLossError("view heartbeat: malformed");
  }
  return hb;
}

absl::StatusOr<ViewLease> DecodeViewLease(const PeerMessage& m) {
  ByteReader r(m.payload);
  ViewLease l;
  if (m.kind != kViewLeaseKind || !r.I64(&l.sent_at) || !r.VarU64(&l.epoch) || !r.done()) {
    return absl::DataLossError("view lease: malformed");
  }
  return l;
}

ViewService::ViewService(const NodeConfig& config, Env& env, uint8_t tag, ViewServiceOptions options)
    : config_(config), env_(env), tag_(tag), options_(options), inner_env_(env, [this](ReplyHandle, ClientReply) {
        // The outcome of the one proposal in flight: applied, refused (NX) or unknown. Whatever
        // it was, the next decision reads the applied state again.
        in_flight_ = view_in_flight_ = false;
      }) {}

absl::Status ViewService::Start() {
  raft_ = std::make_unique<RaftNode>(config_, inner_env_, options_.raft);
  if (absl::Status s = raft_->Start(); !s.ok()) return s;
  nonce_ = env_.rng().Next() | 1;  // never 0 (0 means "not heard").
  env_.SetTimer(options_.heartbeat, kViewTickToken | kViewTokenBit);
  RefreshView();
  return absl::OkStatus();
}

bool ViewService::OnMessage(const Message& msg) {
  if (raft_ == nullptr || msg.type != MessageType::kPeer) return false;
  const auto& peer = std::get<PeerMessage>(msg.body);
  if (peer.policy == kRaftPolicyTag) {
    raft_->OnMessage(msg);
    return true;
  }
  if (peer.policy != tag_) return false;
  if (peer.kind == kViewHeartbeatKind) {
    absl::StatusOr<ViewHeartbeat> hb = DecodeViewHeartbeat(peer);
    if (hb.ok()) OnHeartbeat(msg.from, *hb);
    return true;
  }
  if (peer.kind == kViewLeaseKind) {
    absl::StatusOr<ViewLease> lease = DecodeViewLease(peer);
    if (lease.ok()) OnLease(*lease);
    return true;
  }
  return false;
}

bool ViewService::OnTimer(TimerToken token) {
  if ((token & kViewTokenBit) == 0) return false;
  if (raft_ == nullptr) return true;
  const TimerToken inner = token & ~kViewTokenBit;
  if (inner != kViewTickToken) {
    raft_->OnTimer(inner);
    return true;
  }
  env_.SetTimer(options_.heartbeat, token);
  Heartbeat();
  return true;
}

bool IsViewServiceMessage(const PeerMessage& m, uint8_t tag) {
  if (m.policy != tag) return m.policy == kRaftPolicyTag;
  return m.kind == kViewHeartbeatKind || m.kind == kViewLeaseKind;
}

bool ViewService::OnSyncDone(SyncToken token, const absl::Status& status) {
  if ((token & kViewTokenBit) == 0) return false;
  if (raft_ != nullptr) raft_->OnSyncDone(token & ~kViewTokenBit, status);
  return true;
}

void ViewService::Heartbeat() {
  if (withdrawn_) return;
  const ViewHeartbeat hb{nonce_, env_.Now(), ready_epoch_, suspect_};
  const NodeId leader = raft_->leader();
  if (leader == config_.self) return OnHeartbeat(config_.self, hb);
  for (NodeId to : config_.members) {
    if (to == config_.self) {
      if (leader == kNoNode) OnHeartbeat(to, hb);  // it may be the leader by the time it matters.
      continue;
    }
    if (leader != kNoNode && to != leader) continue;
    Message m{MessageType::kPeer, config_.self, to, EncodeViewHeartbeat(tag_, hb)};
    env_.Send(to, std::move(m));
  }
}

// The leader notes who it heard and grants the sender a lease for its current view, unless a
// view change is in flight (the sender may be the member it removes) or it is not yet sure its
// applied view is the newest (Ready: an entry of its term committed).
void ViewService::OnHeartbeat(NodeId from, const ViewHeartbeat& hb) {
  if (!leads() || !raft_->Ready()) return;
  if (std::find(config_.members.begin(), config_.members.end(), from) == config_.members.end()) return;
  heard_[from] = Heard{env_.Now(), hb.nonce};
  if (hb.ready_epoch != 0) ready_reports_[from] = hb.ready_epoch;
  // The primary may report any member, a chain member its successor.
  const bool may_suspect = from == view_.primary() || view_.Successor(from) == hb.suspect;
  if (hb.suspect != kNoNode && hb.suspect != from && may_suspect && view_.Admits(from, hb.nonce)) {
    suspects_[hb.suspect] = env_.Now();
  }
  if (view_in_flight_ || view_.epoch == 0) return;
  const ViewLease lease{hb.sent_at, view_.epoch};
  if (from == config_.self) return OnLease(lease);
  Message m{MessageType::kPeer, config_.self, from, EncodeViewLease(tag_, lease)};
  env_.Send(from, std::move(m));
}

void ViewService::OnLease(const ViewLease& lease) {
  const Nanos until = lease.sent_at + options_.lease;
  if (lease.epoch > lease_epoch_) {
    lease_epoch_ = lease.epoch;
    lease_until_ = until;
  } else if (lease.epoch == lease_epoch_) {
    lease_until_ = std::max(lease_until_, until);
  }
}

bool ViewService::LeaseValid(uint64_t epoch) {
  return epoch != 0 && lease_epoch_ == epoch && env_.Now() < lease_until_;
}

bool ViewService::ReadyMarked(uint64_t epoch) const { return HasKey(raft_->AppliedState(), ReadyKey(epoch)); }

void ViewService::EndTurn() {
  if (raft_ == nullptr) return;
  LeaderDuties();
  raft_->EndTurn();
  RefreshView();
}

void ViewService::RefreshView() {
  const KvState* state = raft_->AppliedState();
  if (state == nullptr) return;
  for (;;) {
    const KvState::Entry* e = state->Find(ViewKey(view_.epoch + 1), 0);
    if (e == nullptr) return;
    absl::StatusOr<View> v = DecodeView(e->value());
    if (!v.ok() || v->epoch != view_.epoch + 1) return;  // never written by a view service.
    view_ = *std::move(v);
    ++views_seen_;
  }
}

void ViewService::LeaderDuties() {
  if (!leads() || !raft_->Ready()) {
    was_leader_ = false;
    return;
  }
  const Nanos now = env_.Now();
  if (!was_leader_) {
    // Leases the previous leader granted run out within `lapse` from now: nobody lapses before
    // that, and what an earlier leadership heard (perhaps an old nonce) is forgotten.
    was_leader_ = true;
    leader_since_ = now;
    heard_.clear();
    suspects_.clear();
  }
  if (in_flight_) return;
  auto report = ready_reports_.find(view_.primary());
  if (view_.epoch != 0 && report != ready_reports_.end() && report->second == view_.epoch &&
      !ReadyMarked(view_.epoch)) {
    return Propose(ReadyKey(view_.epoch), "1");
  }
  View next;
  if (!NextView(now, &next)) return;
  view_in_flight_ = true;
  Propose(ViewKey(next.epoch), EncodeView(next));
}

void ViewService::Propose(std::string key, std::string value) {
  Command cmd = Command::Put(std::move(key), std::move(value));
  cmd.condition = PutCondition::kIfAbsent;  // one view per epoch, whoever proposes.
  in_flight_ = true;
  raft_->OnClientRequest(next_handle_++, std::move(cmd));
}

bool ViewService::NextView(Nanos now, View* next) const {
  auto heard = [&](NodeId id) -> const Heard* {
    auto it = heard_.find(id);
    return it != heard_.end() && now - it->second.at <= options_.lapse ? &it->second : nullptr;
  };
  auto suspected = [&](NodeId id) {
    auto it = suspects_.find(id);
    return it != suspects_.end() && now - it->second <= options_.lapse;
  };
  auto alive = [&](NodeId id) {
    return !suspected(id) && (heard(id) != nullptr || now - leader_since_ <= options_.lapse);
  };
  next->epoch = view_.epoch + 1;
  next->members.clear();
  if (view_.epoch == 0) {
    // The first view: every node heard, or whoever was heard once a lapse passed; all empty, so
    // all synced.
    for (NodeId id : config_.members) {
      if (heard(id) != nullptr) next->members.push_back(ViewMember{id, heard(id)->nonce, true});
    }
    const bool all = next->members.size() == config_.members.size();
    return !next->members.empty() && (all || now - leader_since_ >= options_.lapse);
  }
  const bool ready = ReadyMarked(view_.epoch);
  bool any_synced_alive = false;
  for (const ViewMember& m : view_.members) any_synced_alive |= alive(m.id) && (m.synced || ready);
  for (const ViewMember& m : view_.members) {
    ViewMember kept = m;
    kept.synced = m.synced || ready;
    // Remove a lapsed member unless no synced member would remain: then keep the view and wait.
    if (!alive(m.id) && any_synced_alive) continue;
    if (heard(m.id) != nullptr) kept.nonce = heard(m.id)->nonce;  // a restart: same place, new nonce.
    next->members.push_back(kept);
  }
  for (NodeId id : config_.members) {
    if (view_.Find(id) == nullptr && heard(id) != nullptr && !suspected(id)) {
      next->members.push_back(ViewMember{id, heard(id)->nonce, false});
    }
  }
  // The primary must hold every acknowledged write: the first synced member leads.
  auto first_synced =
      std::find_if(next->members.begin(), next->members.end(), [](const ViewMember& m) { return m.synced; });
  if (first_synced != next->members.end()) std::rotate(next->members.begin(), first_synced, first_synced + 1);
  View same = *next;
  same.epoch = view_.epoch;
  // Only the synced flags changed: that alone needs no new epoch (the flags only matter at the
  // next change, which recomputes them from the ready mark).
  for (size_t i = 0; i < same.members.size() && i < view_.members.size(); ++i) {
    same.members[i].synced = view_.members[i].synced;
  }
  return !(same == view_);
}

}  // namespace kvlab::core
