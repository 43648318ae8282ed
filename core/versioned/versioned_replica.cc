#include "core/versioned/versioned_replica.h"

#include "absl/strings/str_cat.h"

namespace kvlab::core {

absl::Status VersionedReplica::Open(Disk& disk, VersionedFiles files, VersionedStoreOptions options) {
  absl::StatusOr<std::unique_ptr<VersionedStore>> store = VersionedStore::Open(disk, files, options);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  return absl::OkStatus();
}

RegQueryReply VersionedReplica::Query(const RegQuery& m) const {
  const VersionedEntry* held = store_->Find(m.key);
  return RegQueryReply{m.op, m.key, held != nullptr ? *held : VersionedEntry{{}, true, ""}};
}

bool VersionedReplica::Store(NodeId from, const RegStore& m) {
  if (!store_->Put(m.key, m.entry).ok()) return false;
  if (m.op == 0) return true;  // a push (repair, anti-entropy, handoff): no ack wanted.
  // Held behind the newest write (this one, or the newer one that made it stale).
  held_acks_.Hold(store_->write_mark(), HeldAck{from, RegStoreAck{m.op, m.key}});
  return true;
}

void VersionedReplica::ReleaseAcks() {
  held_acks_.Release(store_->durable_mark(), [this](HeldAck h) { host_.SendAck(h.to, std::move(h.ack)); });
}

void VersionedReplica::EndTurn() {
  if (store_ == nullptr) return;
  if (failed()) return Fail();
  host_.DrainLocal();
  ReleaseAcks();  // every ack at once when fsync is off.
  host_.DrainLocal();
  store_->StartSync();
}

void VersionedReplica::OnSyncDone(SyncToken token, absl::Status status) {
  if (store_ == nullptr) return;
  store_->OnSyncDone(token, status).IgnoreError();  // a failure stays in store_->failure().
  if (failed()) return Fail();
  ReleaseAcks();
  host_.DrainLocal();
}

void VersionedReplica::Fail() {
  held_acks_.DropAll([](HeldAck) {});
  host_.FailOps();
}

void VersionedReplica::AppendInfo(std::vector<std::pair<std::string, std::string>>& info) const {
  info.emplace_back("held_acks", absl::StrCat(held_acks_.size()));
  if (store_ == nullptr) return;
  const VersionedStoreStats& s = store_->stats();
  info.insert(info.end(), {{"keys", absl::StrCat(store_->live().size())},
                           {"entries", absl::StrCat(store_->entries().size())},
                           {"tombstones_collected", absl::StrCat(s.collected)},
                           {"wal_bytes", absl::StrCat(store_->wal_bytes())},
                           {"fsyncs", absl::StrCat(s.fsyncs)},
                           {"wal_records", absl::StrCat(s.records)},
                           {"stale_stores", absl::StrCat(s.stale_puts)},
                           {"snapshots", absl::StrCat(s.snapshots)},
                           {"storage_error",
                            store_->failure().ok() ? std::string("none") : std::string(store_->failure().message())}});
}

}  // namespace kvlab::core
