// VersionedReplica: the replica half shared by the leaderless coordinators (`abd`, `quorum`). It
// owns the node's VersionedStore, the acks held until the WAL sync covers their write, and the
// sync turn (group commit: one StartSync per turn covering every store of the turn).
//   Query answers a RegQuery from the store (a key never written: a tombstone at the zero version).
//   Store applies a RegStore (if newer) and holds its ack (op != 0) behind the store's write mark:
//     the ack leaves only once durable_mark() covers the write (or the newer one that made it stale).
//   EndTurn / OnSyncDone release the acks that became durable through the Host, which routes them
//     (to a peer, or to its own local inbox) and drains its local inbox around the release.
//   A storage failure is final: held acks are dropped (never sent) and the Host fails its ops.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/env.h"
#include "core/sync_gate.h"
#include "core/versioned/register_messages.h"
#include "core/versioned/versioned_store.h"

namespace kvlab::core {

class VersionedReplica {
 public:
  // The coordinator half, as the replica needs it.
  class Host {
   public:
    virtual ~Host() = default;
    // Routes a released ack to `to` (a peer, or the host's own local inbox).
    virtual void SendAck(NodeId to, RegStoreAck ack) = 0;
    // Handles every message the host queued for itself.
    virtual void DrainLocal() = 0;
    // The storage failed: the host answers and forgets every op it coordinates, and its inbox.
    virtual void FailOps() = 0;
  };

  explicit VersionedReplica(Host& host) : host_(host) {}

  absl::Status Open(Disk& disk, VersionedFiles files, VersionedStoreOptions options);
  bool open() const { return store_ != nullptr; }
  bool failed() const { return store_ != nullptr && !store_->failure().ok(); }
  // REQUIRES: open().
  VersionedStore& store() { return *store_; }
  const VersionedStore* get() const { return store_.get(); }

  RegQueryReply Query(const RegQuery& m) const;
  // False if the store failed (then no ack, ever).
  bool Store(NodeId from, const RegStore& m);

  void EndTurn();
  void OnSyncDone(SyncToken token, absl::Status status);
  size_t held_acks() const { return held_acks_.size(); }
  // The store's figures for INFO (held acks, keys, fsyncs, ...).
  void AppendInfo(std::vector<std::pair<std::string, std::string>>& info) const;

 private:
  struct HeldAck {
    NodeId to;
    RegStoreAck ack;
  };
  void ReleaseAcks();
  void Fail();

  Host& host_;
  std::unique_ptr<VersionedStore> store_;
  HeldEffects<HeldAck> held_acks_;
};

}  // namespace kvlab::core
