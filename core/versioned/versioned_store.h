// VersionedStore: the durable per-key versioned register store shared by the leaderless policies
// (`abd`, `quorum`). Each key holds one VersionedEntry; Put applies an entry only if its version is
// above the one held (so replicas converge whatever order writes arrive in, and a replayed or
// duplicated write is harmless).
//
// Durability is KvStore's: every applied Put is appended to the WAL (unsynced) and bumps the write
// mark; StartSync() starts one asynchronous Disk::StartSync covering every write so far (group
// commit) and OnSyncDone() moves the durable mark. A replica acknowledges a write only once
// durable_mark() covers it. When the WAL outgrows a threshold (and the last snapshot) and no sync
// is in flight, the store writes a snapshot and empties the WAL.
//
// Files (names given by the policy, so two policies never share them): the WAL of records
// (key | VersionedEntry), the snapshot (magic | count | (key | VersionedEntry) in key order |
// checksum) and its temp file. Recovery loads the snapshot, then replays the WAL through Put.
//
// Collect() drops a tombstone, Drop() any entry (only from memory: a replayed one is dropped again
// later, and a snapshot taken after the drop no longer holds it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/env.h"
#include "core/kv/kv_state.h"
#include "core/kv/wal.h"
#include "core/sync_gate.h"
#include "core/versioned/version.h"

namespace kvlab::core {

struct VersionedFiles {
  const char* wal = "";
  const char* snapshot = "";
  const char* snapshot_tmp = "";
};

// A node with two stores on one disk tells their syncs apart by the tag in a token's top bits.
inline constexpr SyncToken kSyncTokenTagMask = SyncToken{3} << 62;

struct VersionedStoreOptions {
  bool fsync = true;
  SyncToken sync_token_tag = 0;  // within kSyncTokenTagMask; OnSyncDone ignores other tags' tokens.
  uint64_t snapshot_threshold_bytes = kWalSnapshotThresholdBytes;
};

struct VersionedStoreStats {
  uint64_t fsyncs = 0;
  uint64_t records = 0;     // WAL records appended since Open.
  uint64_t stale_puts = 0;  // Puts refused because the held version was not older.
  uint64_t snapshots = 0;
  uint64_t recovered_records = 0;
  uint64_t snapshot_bytes = 0;
  uint64_t collected = 0;  // tombstones collected.
  bool torn_tail_cut = false;
};

class VersionedStore {
 public:
  // Recovers from `disk`; DataLoss naming the file on corruption. `disk` must outlive the store.
  static absl::StatusOr<std::unique_ptr<VersionedStore>> Open(Disk& disk, VersionedFiles files,
                                                              VersionedStoreOptions options = {});

  // The entry held for `key` (tombstones included), or nullptr.
  const VersionedEntry* Find(std::string_view key) const;
  // Applies `e` if its version is above the held one: true if applied (logged, not yet durable),
  // false if stale. An error once the disk failed (failure() says why).
  absl::StatusOr<bool> Put(const std::string& key, const VersionedEntry& e);
  // Drops `key`'s tombstone if it is still the one at `version`. True if dropped.
  bool Collect(const std::string& key, Version version);
  // Drops `key`'s entry (a value or a tombstone) if it is still the one at `version`. True if dropped.
  bool Drop(const std::string& key, Version version);

  bool StartSync();
  absl::Status OnSyncDone(SyncToken token, const absl::Status& status);
  // Blocking group commit, for tools and tests.
  absl::Status Sync();

  SyncGate::Mark write_mark() const { return gate_.written(); }
  SyncGate::Mark durable_mark() const { return gate_.durable(); }
  bool sync_in_flight() const { return gate_.in_flight(); }
  const absl::Status& failure() const { return failure_; }
  const VersionedStoreStats& stats() const { return stats_; }
  uint64_t wal_bytes() const { return wal_.size(); }

  // Entries, tombstones included, in key order.
  const absl::btree_map<std::string, VersionedEntry, std::less<>>& entries() const { return entries_; }
  // The live values only (no tombstones): for replica comparison and DBSIZE.
  const KvState& live() const { return live_; }

 private:
  VersionedStore(Disk& disk, VersionedFiles files, VersionedStoreOptions options)
      : disk_(disk), files_(files), options_(options), wal_(disk, files.wal, 0), gate_(options.fsync) {}

  absl::Status Recover();
  absl::Status LoadSnapshot();
  absl::Status Replay(const WalContents& contents);
  // Sets the entry in memory (entries_ and live_), no logging. REQUIRES: newer than the held one.
  void Install(const std::string& key, const VersionedEntry& e);
  absl::Status Fail(absl::Status s);
  absl::Status MaybeSnapshot();
  absl::Status TakeSnapshot();

  Disk& disk_;
  VersionedFiles files_;
  VersionedStoreOptions options_;
  WalWriter wal_;
  SyncGate gate_;
  absl::btree_map<std::string, VersionedEntry, std::less<>> entries_;
  KvState live_;
  absl::Status failure_;
  VersionedStoreStats stats_;
};

// Snapshot codec, exposed for tests.
std::string EncodeVersionedSnapshot(const absl::btree_map<std::string, VersionedEntry, std::less<>>& entries);

}  // namespace kvlab::core
