// KvStore: the durable single-node storage engine. Every write is logged to the WAL (unsynced)
// and then applied to the in-memory KvState; Sync() is the group commit that makes every write
// since the previous Sync durable with one Disk::Sync. When the log grows past a threshold (and
// past the size of the last snapshot, so the log stays proportional to the data), Sync() writes a
// snapshot and empties the log.
//
// Files on the Disk: "wal" (records: u64 LSN | i64 now_ms | Command), "snapshot" (magic | LSN
// covered | KvState | checksum), and "snapshot.tmp" while one is being written. Recovery = load
// the snapshot, then replay the WAL records with LSN above it, each at the time it first ran
// (expiry makes outcomes depend on time, so the time is part of the record).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/kv/command.h"
#include "core/constants.h"
#include "core/env.h"
#include "core/kv/kv_state.h"
#include "core/kv/wal.h"

namespace kvlab::core {

inline constexpr char kWalFileName[] = "wal";
inline constexpr char kSnapshotFileName[] = "snapshot";
inline constexpr char kSnapshotTmpFileName[] = "snapshot.tmp";

struct KvStoreOptions {
  bool fsync = true;  // false: writes reach the Disk but are never synced (--durability none).
  uint64_t snapshot_threshold_bytes = kWalSnapshotThresholdBytes;
};

struct KvStoreStats {
  uint64_t fsyncs = 0;             // WAL syncs (group commits).
  uint64_t records = 0;            // WAL records appended since Open.
  uint64_t snapshots = 0;          // snapshots written since Open.
  uint64_t recovered_records = 0;  // WAL records replayed by Open.
  uint64_t snapshot_lsn = 0;       // LSN covered by the newest snapshot.
  uint64_t snapshot_bytes = 0;     // its size.
  bool torn_tail_cut = false;      // Open cut a torn WAL tail.
};

class KvStore {
 public:
  // Recovers from `disk`. DataLoss if the snapshot or a WAL record is corrupt (the message names
  // the file). `disk` must outlive the store.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(Disk& disk, KvStoreOptions options = {});

  // Read-only commands only read. Writes are logged, then applied; they are durable after the
  // next successful Sync(). If the disk failed, writes return a kError result and Sync() the error.
  Result Apply(const Command& cmd, int64_t now_ms);

  // Group commit: one Disk::Sync covering every Apply since the last Sync; no disk call when
  // nothing is dirty or fsync is off. May take a snapshot (see the header comment).
  absl::Status Sync();
  // Writes a snapshot of the current state now and empties the WAL.
  absl::Status TakeSnapshot();

  bool dirty() const { return dirty_; }
  const KvState& state() const { return state_; }
  uint64_t wal_bytes() const { return wal_.size(); }
  uint64_t last_lsn() const { return last_lsn_; }
  const KvStoreStats& stats() const { return stats_; }
  // Non-OK once a disk error made the store unusable.
  const absl::Status& failure() const { return failure_; }

 private:
  KvStore(Disk& disk, KvStoreOptions options)
      : disk_(disk), options_(options), wal_(disk, kWalFileName, 0) {}

  absl::Status Recover();
  absl::Status LoadSnapshot();
  absl::Status Replay(const WalContents& contents);
  absl::Status Fail(absl::Status s);

  Disk& disk_;
  KvStoreOptions options_;
  WalWriter wal_;
  KvState state_;
  uint64_t last_lsn_ = 0;  // LSN of the last write applied (logged or replayed).
  bool dirty_ = false;
  absl::Status failure_;
  KvStoreStats stats_;
};

// Snapshot file codec, exposed for tests.
std::string EncodeSnapshotFile(uint64_t lsn, const KvState& state);
// DataLoss naming `file` if the bytes are not one valid snapshot.
absl::Status DecodeSnapshotFile(std::string_view bytes, std::string_view file, uint64_t* lsn,
                                KvState* state);

}  // namespace kvlab::core
