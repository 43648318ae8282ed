// The `pb` replication policy: primary-backup over f+1 copies, reconfigured by the view service
// (core/view/view_service.h) that every node embeds.
//
// In each epoch the view names a primary and its backups. The primary first transfers its whole
// state to every backup (PbInstall; a backup installs it durably and acks) and only then serves:
// so every member starts the epoch with the primary's state, whatever it held before (a restarted
// or new member catches up this way, and entries an old primary sent to only some backups are
// overwritten). It then applies each write, logs it, and ships it to the backups in LSN order;
// a backup acks the LSN its disk has synced. sync: a write is acknowledged once the primary's own
// sync and every backup's ack cover it. async: after the primary's own sync (the backups trail;
// a failover loses what they had not got), and only while the primary holds its lease. Reads are
// served by the primary under its lease, once the writes they could observe are committed.
// Every message carries the epoch; a node acts only on messages of its own epoch (fencing).
// A storage failure stops the node: it answers what it holds and withdraws from the view.
//
// The same node runs chain replication (core/chain: topology kChain): the order of the view is
// the chain, members[0] its head. Each member receives from its predecessor (`upstream`) and
// sends to its successor (its one `downstream`); the epoch's state transfer runs hop by hop (a
// member installs its successor once it is installed itself, and acks its own install upstream
// once everything below it is installed: the head then knows the whole chain holds its state).
// A member passes a write on only after its own sync, so whatever a member holds is durable at
// every member before it, and the tail's sync is the commit point; acks travel back up the
// chain (each member acks the smaller of its own durable LSN and its successor's ack), so every
// member knows what is committed. The head answers writes once its successor's ack covers them.
// Reads: at the tail once its disk covers the writes they observe (reads=tail); or at any member
// for keys whose last write there is committed, a dirty key going to the tail (reads=craq).
// A view change (head, middle or tail failure, or a restart) starts the next epoch with the
// same hop-by-hop transfer: the predecessor of a failed member sends its whole state, which
// includes what the failed member had not passed on; a new tail commits what it holds.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "core/kv/kv_store.h"
#include "core/pb/pb_messages.h"
#include "core/policy/node.h"
#include "core/view/view_service.h"

namespace kvlab::core {

inline constexpr char kPbFilePrefix[] = "pb.";
inline constexpr char kPbWalFile[] = "pb.wal";
inline constexpr char kPbSnapshotFile[] = "pb.snapshot";
inline constexpr Nanos kPbTick = Millis(10);
inline constexpr size_t kPbMaxEntriesPerSend = 512;
inline constexpr size_t kPbMaxBuffered = 100'000;  // beyond, a lagging backup gets a state transfer.
inline constexpr size_t kPbForwardDedupWindow = 65'536;

enum class PbMode : uint8_t { kSync, kAsync };
enum class PbTopology : uint8_t { kStar, kChain };
enum class PbReads : uint8_t { kPrimary, kTail, kCraq };  // kTail and kCraq: chain only.

struct PbOptions {
  PbMode mode = PbMode::kSync;
  PbTopology topology = PbTopology::kStar;
  PbReads reads = PbReads::kPrimary;
  uint8_t tag = kPbPolicyTag;  // of every peer message, the view service's included.
  const char* name = "pb";     // in INFO.
  const char* file_prefix = kPbFilePrefix;
  ViewServiceOptions view;
  Nanos retransmit = Millis(100);        // resend what a backup has not acked after this long.
  Nanos request_timeout = Millis(1500);  // below the clients' timeout: they hear an answer.
};

class PbNode final : public Node {
 public:
  PbNode(const NodeConfig& config, Env& env, PbOptions options);

  absl::Status Start() override;
  void OnClientRequest(ReplyHandle handle, Command cmd) override;
  void OnMessage(const Message& msg) override;
  void OnTimer(TimerToken token) override;
  void OnSyncDone(SyncToken token, absl::Status status) override;
  void EndTurn() override;
  std::vector<std::pair<std::string, std::string>> Info() const override;
  NodeStatus Status() const override;
  const KvState* AppliedState() const override { return store_ ? &store_->state() : nullptr; }
  size_t KeyCount() const override { return store_ ? store_->state().size() : 0; }
  bool Ready() const override;

  const ViewService& view_service() const { return vs_; }
  uint64_t epoch() const { return epoch_; }
  bool active() const { return active_; }
  bool primary() const { return primary_; }
  uint64_t committed() const { return committed_; }

 private:
  struct Origin {
    NodeId via = kNoNode;  // kNoNode: a local client.
    ReplyHandle handle = 0;
    uint64_t forward_id = 0;
  };
  struct Request {
    Origin origin;
    Command cmd;
    Nanos deadline = 0;
  };
  struct Held {
    Origin origin;
    uint64_t lsn = 0;  // the write it waits for.
    bool read_only = false;
    Result result;
    Nanos deadline = 0;
  };
  struct Backup {
    NodeId id = kNoNode;
    bool installed = false;
    uint64_t acked = 0;
    uint64_t sent = 0;
    Nanos last_send = INT64_MIN / 2;
    Nanos last_progress = 0;
  };
  struct Forwarded {
    ReplyHandle handle = 0;
    bool read_only = false;
    Nanos deadline = 0;
  };

  bool failed() const { return store_ != nullptr && !store_->failure().ok(); }
  uint64_t DurableLsn() const { return store_->last_lsn() - (store_->write_mark() - store_->durable_mark()); }
  bool chain() const { return options_.topology == PbTopology::kChain; }
  // What may go downstream: a chain member passes on only what it has synced.
  uint64_t PassableLsn() const { return chain() ? DurableLsn() : store_->last_lsn(); }
  bool ServesReads() const;
  NodeId ReadTarget() const;
  void Send(NodeId to, const PbMessage& m);
  void SendClient(NodeId to, MessageType type, MessageBody body);
  void SendReply(const Origin& origin, ClientReply reply);
  void ReplyError(const Origin& origin, ReplyStatus status, std::string why);

  // Views and roles.
  void OnNewView();
  void Activate();
  void Tick();
  // Primary.
  void Accept(Origin origin, Command cmd);
  void Route(Request req);
  void Serve(Request req);
  void Forward(NodeId to, Request req);
  void OnForwardRequest(NodeId from, const ClientRequest& req);
  void OnForwardReply(const ClientReply& reply);
  void DispatchWaiting();
  void SendInstall(Backup& b);
  void ReplicateToBackups();
  void TrimBuffer();
  void AdvanceCommit();
  void ReleaseHeld();
  void FailHeld(const char* why);
  void Suspect();
  void NoteWrite(const Command& cmd, uint64_t lsn);
  uint64_t ObservedLsn(const Command& cmd) const;
  Backup* FindBackup(NodeId id);
  void OnInstallAck(NodeId from, const PbInstallAck& m);
  void OnAck(NodeId from, const PbAck& m);
  // Backup or chain member below the head.
  bool FromUpstream(NodeId from, uint64_t epoch) const;
  bool DownstreamInstalled() const;
  void AckInstall();
  void OnInstall(NodeId from, const PbInstall& m);
  void OnReplicate(NodeId from, const PbReplicate& m);
  void SendAck();
  void Fail();

  NodeConfig config_;
  Env& env_;
  PbOptions options_;
  ViewService vs_;
  std::unique_ptr<KvStore> store_;
  bool stopped_ = false;  // storage failed: serves nothing until restarted.

  uint64_t epoch_ = 0;         // the view this node acts in.
  bool primary_ = false;       // the primary of epoch_, admitted with this incarnation's nonce.
  bool member_ = false;        // a member of epoch_, admitted with this incarnation's nonce.
  NodeId upstream_ = kNoNode;  // whom it receives from (kNoNode: the primary or head).
  bool installed_ = false;     // holds the epoch's state (the primary from the start).
  uint64_t installed_lsn_ = 0;
  bool active_ = false;          // installed, and so is everything downstream (transitively).
  uint64_t committed_ = 0;       // primary: writes up to here may be acknowledged.
  uint64_t replicated_ = 0;      // writes up to here are durable here and everywhere downstream.
  std::vector<Backup> backups_;  // downstream: the primary's backups, or a chain member's successor.
  std::deque<PbEntry> buffer_;   // entries some downstream member may still need.
  std::deque<Held> held_;
  std::vector<Request> waiting_;
  absl::flat_hash_map<std::string, uint64_t> key_lsn_;  // last write per key not yet replicated.
  uint64_t all_keys_lsn_ = 0;
  uint64_t acked_sent_ = 0;  // the last LSN acked upstream.
  bool ack_due_ = false;
  Nanos last_ack_send_ = 0;

  absl::btree_map<uint64_t, Forwarded> forwarded_;
  uint64_t forward_epoch_ = 0;
  uint64_t next_forward_id_ = 1;
  absl::btree_set<std::pair<NodeId, uint64_t>> seen_forwards_;
  std::deque<std::pair<NodeId, uint64_t>> seen_order_;

  uint64_t view_changes_ = 0;
  uint64_t installs_sent_ = 0;
  uint64_t installs_done_ = 0;
  uint64_t fenced_ = 0;       // messages refused for their epoch.
  uint64_t clean_reads_ = 0;  // craq: reads a non-tail member answered itself.
  uint64_t dirty_reads_ = 0;  // craq: reads of a dirty key sent to the tail.
  uint64_t bad_messages_ = 0;
};

}  // namespace kvlab::core
