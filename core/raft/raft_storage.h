// RaftStorage: the durable state of a Raft node on its core::Disk.
//   raft_log       a WAL (core/wal.h) of records: hard state (term, vote), entries, truncation
//                  markers and a base (the snapshot the log continues). Replayed in order, the
//                  last hard state wins. Append-only between compactions, so a crash can at most
//                  tear its tail, which recovery cuts off.
//   raft_snapshot  WAL records: the first holds the last included index and term, then the start
//                  of the snapshot's encoding (configuration + KvState); each later one the next
//                  piece of it (one record per piece the node encoded; a file of one record is the
//                  older format, still read). Written atomically (tmp file, sync, rename); the log
//                  is rewritten after it the same way.
// Group commit: records are appended during turns; EndTurn starts one asynchronous sync
// (StartSync) covering all of them unless one is in flight, and OnSyncDone reports it. The write
// marks (mark/durable) of its SyncGate say which records are durable.
// A node's own snapshot is written off the event loop (BeginSnapshot, then PumpSnapshot once a
// turn): its tmp file grows by one piece (about kRaftSnapshotWriteChunkBytes) per step, as the node
// encodes them (RaftSnapshotBytes), each piece followed by an
// asynchronous sync in the same device queue as the log's, so the log's syncs run between the
// pieces; then the rename; then the log's rewrite (only the entries after the snapshot), written
// the same way into its own tmp file, plus the records appended meanwhile, then renamed. A crash at
// any step recovers: a leftover tmp file is removed, and a renamed snapshot with the older log
// (which keeps every record until the rename) is reconciled by Recover.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/env.h"
#include "core/kv/wal.h"
#include "core/raft/raft_log.h"
#include "core/raft/raft_snapshot_bytes.h"
#include "core/sync_gate.h"

namespace kvlab::core {

inline constexpr char kRaftLogFile[] = "raft_log";
inline constexpr char kRaftSnapshotFile[] = "raft_snapshot";

struct RaftHardState {
  uint64_t term = 0;
  NodeId voted_for = kNoNode;
  bool operator==(const RaftHardState&) const = default;
};

struct RaftRecovered {
  RaftHardState hard_state;
  RaftLog log;                  // based at the snapshot (or empty at 0).
  uint64_t snapshot_index = 0;  // 0: no snapshot.
  uint64_t snapshot_term = 0;
  std::string snapshot_state;  // KvState encoding; empty without a snapshot.
  bool torn_tail_cut = false;
  uint64_t records = 0;
};

// A snapshot being written off the event loop (RaftStorage::BeginSnapshot .. PumpSnapshot's log
// rewrite): first the snapshot file, then the log's new image, each into its tmp file piece by
// piece. At namespace scope, not nested: clang 14 cannot default-construct a nested struct with
// member initializers inside std::optional of the enclosing class.
struct RaftSnapshotWriter {
  uint64_t index = 0;
  uint64_t term = 0;
  bool rewriting_log = false;  // the snapshot is in place; the log's image is being written.
  // The snapshot's pieces, one record each, written as they appear: the node may still be
  // encoding them until `encoded`.
  std::shared_ptr<const RaftSnapshotBytes> snapshot;
  bool encoded = false;
  size_t pieces_written = 0;
  std::string bytes;           // rewriting_log: the log's image.
  uint64_t written = 0;        // bytes of `bytes` appended to the tmp file.
  SyncToken syncing = 0;       // the piece's sync in flight (a snapshot token), or 0.
  std::string appended_since;  // rewriting_log: records the log gained since its image was taken.
};

class RaftStorage {
 public:
  // With fsync false (--durability none) nothing is synced except the tmp files renames need.
  RaftStorage(Disk& disk, bool fsync) : disk_(disk), fsync_(fsync), wal_(disk, kRaftLogFile, 0), gate_(fsync) {}

  // Loads the snapshot and replays the log. DataLoss for a corrupt record (not a torn tail) or a
  // log that contradicts itself (an entry index out of sequence).
  absl::StatusOr<RaftRecovered> Recover();

  absl::Status AppendHardState(const RaftHardState& hs);
  absl::Status AppendEntry(const RaftEntry& e);
  // Records that entries at `index` and after are gone (a follower's conflicting suffix, §5.3).
  absl::Status AppendTruncate(uint64_t index);
  // Makes every appended record durable, blocking; no disk call when nothing changed.
  absl::Status Sync();
  // Starts an asynchronous sync of every record appended so far, unless one is in flight or
  // nothing needs it. True if it started one.
  bool StartSync();
  // The node's OnSyncDone, for the log's syncs and the snapshot's pieces alike: OK, or the error
  // that broke the storage (a failed sync, whose records may be lost). A stale token is ignored.
  absl::Status OnSyncDone(SyncToken token, const absl::Status& status);
  // Write marks: each appended record bumps mark(); records up to durable() are durable.
  SyncGate::Mark mark() const { return gate_.written(); }
  SyncGate::Mark durable() const { return gate_.durable(); }
  bool sync_in_flight() const { return gate_.in_flight(); }
  bool all_durable() const { return gate_.AllDurable(); }

  // Durably replaces the snapshot (tmp, sync, rename), then rewrites the log as `log` (which must
  // be based at the snapshot) plus `hs`, the same way. A crash between the two leaves a new
  // snapshot with an older log; Recover reconciles them.
  absl::Status SaveSnapshot(uint64_t index, uint64_t term, std::string_view state, const RaftLog& log,
                            const RaftHardState& hs);

  // Starts replacing the snapshot with (index, term, `snapshot`) off the event loop; PumpSnapshot
  // carries it on, writing each of its pieces as one record of the tmp file as they appear: the
  // node may go on appending pieces until SnapshotEncoded (or pass `encoded`). Nothing is written
  // yet. REQUIRES: !snapshot_writing().
  absl::Status BeginSnapshot(uint64_t index, uint64_t term, std::shared_ptr<const RaftSnapshotBytes> snapshot,
                             bool encoded);
  // A whole encoded state, in pieces of kRaftSnapshotWriteChunkBytes.
  absl::Status BeginSnapshot(uint64_t index, uint64_t term, std::string_view state);
  // The snapshot being written has all its pieces: once they are durable it is renamed.
  void SnapshotEncoded();
  // One step of the snapshot being written, once per turn: append and start the sync of the next
  // piece (unless one is syncing, or the node has not encoded it yet); after the last piece's
  // sync, rename; then write the log's new
  // image (`log`, based at or below the snapshot, and `hs`) the same way, append to it the records the log
  // gained meanwhile, sync those (blocking: a few records), rename it over the log and set
  // *log_rewritten. Returns the error that broke the storage.
  absl::Status PumpSnapshot(const RaftLog& log, const RaftHardState& hs, bool* log_rewritten);
  // Forgets an unfinished snapshot write (a newer snapshot replaces it): its tmp file is removed
  // and its piece's sync completion, if one is in flight, is ignored.
  absl::Status AbandonSnapshot();
  bool snapshot_writing() const { return writer_.has_value(); }

  uint64_t log_bytes() const { return wal_.size(); }
  uint64_t syncs() const { return syncs_; }

 private:
  using SnapshotWriter = RaftSnapshotWriter;
  // Snapshot pieces' sync tokens carry this bit; the log's (SyncGate marks) never do.
  static constexpr SyncToken kSnapshotSyncBit = SyncToken{1} << 63;
  absl::Status OnSnapshotSyncDone(SyncToken token, const absl::Status& status);
  absl::Status FinishLogRewrite(const std::string& tmp, bool* log_rewritten);
  // Starts the asynchronous sync of the piece just appended to `tmp`.
  absl::Status StartPieceSync(const std::string& tmp);
  // The snapshot file's records for `state`, in pieces of kRaftSnapshotWriteChunkBytes.
  static std::string SnapshotImage(uint64_t index, uint64_t term, std::string_view state);
  // The log file's records for `log` (based at the snapshot) and `hs`.
  static std::string LogImage(const RaftLog& log, const RaftHardState& hs);
  // Blocking: replaces the log with LogImage (SaveSnapshot's path).
  absl::Status RewriteLog(const RaftLog& log, const RaftHardState& hs);
  absl::Status WriteAtomically(std::string_view file, std::string_view bytes);
  absl::Status ReadSnapshot(RaftRecovered* out);
  absl::Status AppendRecord(std::string_view record);

  Disk& disk_;
  bool fsync_;
  WalWriter wal_;
  SyncGate gate_;
  uint64_t syncs_ = 0;
  std::optional<SnapshotWriter> writer_;
  uint64_t snapshot_pieces_ = 0;  // pieces ever synced: numbers their tokens, never reused.
};

}  // namespace kvlab::core
