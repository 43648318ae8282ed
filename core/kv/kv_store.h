// KvStore: the durable single-node storage engine. Every write is logged to the WAL (unsynced)
// and then applied to the in-memory KvState. StartSync() is the group commit: one asynchronous
// Disk::StartSync covers every write since the previous one; OnSyncDone() reports it, and the
// write marks (write_mark/durable_mark) say which writes it made durable. Sync() does the same,
// blocking, for tools and tests. When the log grows past a threshold (and past the size of the
// last snapshot, so the log stays proportional to the data) and no sync is in flight, the store
// writes a snapshot and empties the log.
//
// Files on the Disk: "wal" (records: u64 LSN | i64 now_ms | Command), "snapshot" (magic | LSN
// covered | KvState | checksum), and "snapshot.tmp" while one is being written. Recovery = load
// the snapshot, then replay the WAL records with LSN above it, each at the time it first ran
// (expiry makes outcomes depend on time, so the time is part of the record).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/constants.h"
#include "core/env.h"
#include "core/kv/command.h"
#include "core/kv/kv_state.h"
#include "core/kv/wal.h"
#include "core/sync_gate.h"

namespace kvlab::core {

inline constexpr char kWalFileName[] = "wal";
inline constexpr char kSnapshotFileName[] = "snapshot";
inline constexpr char kSnapshotTmpFileName[] = "snapshot.tmp";

struct KvStoreOptions {
  bool fsync = true;  // false: writes reach the Disk but are never synced (--durability none).
  uint64_t snapshot_threshold_bytes = kWalSnapshotThresholdBytes;
  // Prepended to every file name ("wal", "snapshot", "snapshot.tmp"): a policy other than
  // `single` keeps its own files in a shared data dir (e.g. "pb." gives "pb.wal").
  std::string_view file_prefix = "";
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

  // Group commit, blocking: one Disk::Sync covering every Apply so far; no disk call when
  // nothing is dirty or fsync is off. May take a snapshot (see the header comment).
  absl::Status Sync();
  // Group commit, asynchronous: starts one Disk::StartSync covering every Apply so far, unless
  // one is in flight, nothing is dirty, fsync is off or the store failed. True if it started one.
  bool StartSync();
  // The node's OnSyncDone for a sync StartSync started. A failed sync fails the store. May take
  // a snapshot. Returns failure().
  absl::Status OnSyncDone(SyncToken token, const absl::Status& status);
  // Writes a snapshot of the current state now and empties the WAL.
  absl::Status TakeSnapshot();
  // Replaces the whole state by `state` as of `lsn` (a state transfer from another replica):
  // written as a durable snapshot and the WAL emptied before it returns (blocking). The next
  // write gets LSN lsn + 1.
  absl::Status InstallState(KvState state, uint64_t lsn);

  bool dirty() const { return gate_.written() > gate_.durable(); }
  // Write marks: every logged write bumps write_mark(); it is durable once durable_mark() >= it.
  SyncGate::Mark write_mark() const { return gate_.written(); }
  SyncGate::Mark durable_mark() const { return gate_.durable(); }
  bool sync_in_flight() const { return gate_.in_flight(); }
  const KvState& state() const { return state_; }
  uint64_t wal_bytes() const { return wal_.size(); }
  uint64_t last_lsn() const { return last_lsn_; }
  const KvStoreStats& stats() const { return stats_; }
  // Non-OK once a disk error made the store unusable.
  const absl::Status& failure() const { return failure_; }

 private:
  KvStore(Disk& disk, KvStoreOptions options)
      : disk_(disk),
        options_(options),
        wal_file_(std::string(options.file_prefix) + kWalFileName),
        snapshot_file_(std::string(options.file_prefix) + kSnapshotFileName),
        snapshot_tmp_file_(std::string(options.file_prefix) + kSnapshotTmpFileName),
        wal_(disk, wal_file_, 0),
        gate_(options.fsync) {}

  absl::Status Recover();
  absl::Status LoadSnapshot();
  absl::Status Replay(const WalContents& contents);
  absl::Status Fail(absl::Status s);
  // Takes a snapshot if the log is large enough and no sync is in flight.
  absl::Status MaybeSnapshot();

  Disk& disk_;
  KvStoreOptions options_;
  const std::string wal_file_;  // the file names, with options_.file_prefix.
  const std::string snapshot_file_;
  const std::string snapshot_tmp_file_;
  WalWriter wal_;
  KvState state_;
  uint64_t last_lsn_ = 0;  // LSN of the last write applied (logged or replayed).
  SyncGate gate_;
  absl::Status failure_;
  KvStoreStats stats_;
};

// Snapshot file codec, exposed for tests.
std::string EncodeSnapshotFile(uint64_t lsn, const KvState& state);
// DataLoss naming `file` if the bytes are not one valid snapshot.
absl::Status DecodeSnapshotFile(std::string_view bytes, std::string_view file, uint64_t* lsn, KvState* state);

}  // namespace kvlab::core
