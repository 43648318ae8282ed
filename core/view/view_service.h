// ViewService: the configuration service of a primary-backup or chain group, embedded in each
// node of the group. It runs kvlab's own raft (an unchanged RaftNode on a ViewEnv, view_env.h)
// over every node of the cluster; the views are state in that raft group's KvState (view.h).
//
// Leases. Every node sends a heartbeat to the view-service leader every `heartbeat`; the leader
// answers with its current epoch, and the node then holds a lease for that epoch until the
// heartbeat's send time plus `lease`, on its own clock (a primary or head serves reads and
// acknowledges async writes only under it). The leader removes a member it has not heard from
// for `lapse` on its clock, and a new leader starts every member's lapse afresh when it takes
// over. Safety needs lapse > lease + the longest time a deposed raft leader may still answer
// heartbeats (raft's check-quorum: election_max - election_min, plus a tick) + the largest clock
// error between two nodes (the simulator's clock jumps reach 200 ms; drift is 200 ppm):
// pb_policy.cc checks this. The leader grants no lease while a view change is in flight.
//
// Views. The leader installs the next view (one NX put of the next epoch's key) when a member
// lapsed (removed; a lapsed primary is replaced by the first synced member), a member restarted
// (its nonce changed: same place, new nonce), or a node outside the view is heard from (appended,
// not synced: it catches up by state transfer in the new epoch). The last synced member is never
// removed: only it holds every acknowledged write, so the group waits for it instead.
// The primary reports when its state transfer of an epoch finished; the leader then writes the
// epoch's ready mark, and every member of that epoch counts as synced from the next view on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/env.h"
#include "core/policy/node.h"
#include "core/raft/raft_node.h"
#include "core/view/view.h"
#include "core/view/view_env.h"

namespace kvlab::core {

// Kinds of the view service's own messages (heartbeat, lease grant); they travel under the outer
// policy's tag, above the outer policy's own kinds.
inline constexpr uint8_t kViewHeartbeatKind = 200;
inline constexpr uint8_t kViewLeaseKind = 201;

struct ViewServiceOptions {
  RaftOptions raft;
  Nanos heartbeat = Millis(50);
  Nanos lease = Millis(300);
  Nanos lapse = Millis(1000);
};

struct ViewHeartbeat {
  uint64_t nonce = 0;
  Nanos sent_at = 0;         // on the sender's clock, echoed in the grant.
  uint64_t ready_epoch = 0;  // the sender finished this epoch's state transfer as its primary.
  NodeId suspect = kNoNode;  // a primary's member that stopped answering it (removed like a lapsed one).
  bool operator==(const ViewHeartbeat&) const = default;
};
struct ViewLease {
  Nanos sent_at = 0;
  uint64_t epoch = 0;  // the leader's current view: the lease holds for this epoch only.
  bool operator==(const ViewLease&) const = default;
};
PeerMessage EncodeViewHeartbeat(uint8_t tag, const ViewHeartbeat& m);
PeerMessage EncodeViewLease(uint8_t tag, const ViewLease& m);
absl::StatusOr<ViewHeartbeat> DecodeViewHeartbeat(const PeerMessage& m);
absl::StatusOr<ViewLease> DecodeViewLease(const PeerMessage& m);
// True for the view service's own traffic in a group whose policy uses `tag`: its raft's
// messages and the heartbeats and lease grants.
bool IsViewServiceMessage(const PeerMessage& m, uint8_t tag);

class ViewService {
 public:
  // `tag`: the outer policy's tag, for the heartbeat and lease messages.
  ViewService(const NodeConfig& config, Env& env, uint8_t tag, ViewServiceOptions options);

  absl::Status Start();
  // Inputs the view service owns; each returns false for an input that is not its own.
  bool OnMessage(const Message& msg);
  bool OnTimer(TimerToken token);
  bool OnSyncDone(SyncToken token, const absl::Status& status);
  // Leader duties, then the inner node's turn, then the newest applied view is read. Call first
  // in the outer node's EndTurn, so the outer node acts on a new view in the same turn.
  void EndTurn();

  const View& view() const { return view_; }
  uint64_t nonce() const { return nonce_; }
  // This node holds a lease for `epoch` now.
  bool LeaseValid(uint64_t epoch);
  // This node, as primary of `epoch`, finished the epoch's state transfer.
  void ReportReady(uint64_t epoch) { ready_epoch_ = std::max(ready_epoch_, epoch); }
  // This node, as primary, finds `member` unresponsive (kNoNode: none): the leader removes it as
  // if its lease had lapsed. Liveness only: fencing keeps the removal safe.
  void ReportSuspect(NodeId member) { suspect_ = member; }
  // This node stops heartbeating for good (its storage failed): it lapses and is removed.
  void Withdraw() { withdrawn_ = true; }
  bool ReadyMarked(uint64_t epoch) const;
  bool failed() const { return raft_ != nullptr && raft_->Status().failed; }
  bool leads() const { return raft_ != nullptr && raft_->role() == RaftRole::kLeader; }
  uint64_t views_seen() const { return views_seen_; }
  const RaftNode* raft() const { return raft_.get(); }

 private:
  struct Heard {
    Nanos at = 0;
    uint64_t nonce = 0;
  };
  void Heartbeat();
  void OnHeartbeat(NodeId from, const ViewHeartbeat& hb);
  void OnLease(const ViewLease& lease);
  void LeaderDuties();
  bool NextView(Nanos now, View* next) const;
  void Propose(std::string key, std::string value);
  void RefreshView();

  NodeConfig config_;
  Env& env_;
  uint8_t tag_;
  ViewServiceOptions options_;
  ViewEnv inner_env_;
  std::unique_ptr<RaftNode> raft_;
  uint64_t nonce_ = 0;
  View view_;
  uint64_t views_seen_ = 0;

  // Replica side.
  uint64_t ready_epoch_ = 0;
  NodeId suspect_ = kNoNode;
  bool withdrawn_ = false;
  uint64_t lease_epoch_ = 0;
  Nanos lease_until_ = 0;

  // Leader side (soft state: a new leader starts afresh).
  bool was_leader_ = false;
  Nanos leader_since_ = 0;
  absl::btree_map<NodeId, Heard> heard_;
  bool in_flight_ = false;       // a proposal awaits its outcome.
  bool view_in_flight_ = false;  // ... and it is a view change: no lease is granted meanwhile.
  ReplyHandle next_handle_ = 1;
  absl::btree_map<NodeId, uint64_t> ready_reports_;  // primary -> epoch it reported ready.
  absl::btree_map<NodeId, Nanos> suspects_;          // member -> when the primary last suspected it.
};

}  // namespace kvlab::core
