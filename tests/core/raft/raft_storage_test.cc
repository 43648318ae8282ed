// RaftStorage's snapshot written off the event loop (BeginSnapshot, PumpSnapshot): its pieces'
// syncs go through the device queue with tokens of their own, the log is rewritten only once no
// log sync is in flight, and a crash at every step in between recovers the old snapshot with the
// whole log or the new snapshot with the log after it.
#include "core/raft/raft_storage.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/raft/raft_config.h"
#include "tests/support/mem_disk.h"

namespace kvlab::core {
namespace {

constexpr uint64_t kTerm = 3;
constexpr uint64_t kEntries = 40;
// Three write pieces: two whole ones and a part.
const std::string kState(2 * kRaftSnapshotWriteChunkBytes + 12'345, 's');

RaftEntry Entry(uint64_t index) {
  RaftEntry e;
  e.term = kTerm;
  e.index = index;
  e.command = Command::Put("k" + std::to_string(index), std::string(1000, 'v'));
  return e;
}

// A storage on `disk` whose log holds entries 1..kEntries, synced.
RaftLog FillLog(RaftStorage& storage) {
  RaftLog log;
  EXPECT_TRUE(storage.AppendHardState(RaftHardState{kTerm, 1}).ok());
  for (uint64_t i = 1; i <= kEntries; ++i) {
    log.Append(Entry(i));
    EXPECT_TRUE(storage.AppendEntry(Entry(i)).ok());
  }
  EXPECT_TRUE(storage.Sync().ok());
  return log;
}

// A recovered storage with a synced log of kEntries whose snapshot at kEntries has written its
// first piece, that piece's sync still queued.
void WriteFirstSnapshotPiece(RaftStorage& storage) {
  ASSERT_TRUE(storage.Recover().ok());
  RaftLog log = FillLog(storage);
  ASSERT_TRUE(storage.BeginSnapshot(kEntries, kTerm, kState).ok());
  bool rewritten = false;
  ASSERT_TRUE(storage.PumpSnapshot(log, RaftHardState{kTerm, 1}, &rewritten).ok());
}

// What a restart after a power loss now would recover, checked: the old state (no snapshot, the
// whole log) or the new one (the snapshot at kEntries with its state), and every entry after.
void ExpectRecoversAfterCrash(const MemDisk& disk, uint64_t last_index, const char* step,
                              const std::string& state = kState) {
  MemDisk copy = disk;
  copy.Crash();
  RaftStorage again(copy, true);
  absl::StatusOr<RaftRecovered> rec = again.Recover();
  ASSERT_TRUE(rec.ok()) << step << ": " << rec.status();
  EXPECT_FALSE(copy.Exists("raft_snapshot.tmp")) << step << ": a leftover tmp file is removed";
  if (rec->snapshot_index == 0) {
    EXPECT_EQ(rec->log.base_index(), 0u) << step;
  } else {
    EXPECT_EQ(rec->snapshot_index, kEntries) << step;
    EXPECT_TRUE(rec->snapshot_state == state) << step << ": the snapshot's state, whole";
    EXPECT_EQ(rec->log.base_index(), kEntries) << step;
  }
  EXPECT_EQ(rec->log.last_index(), last_index) << step << ": no synced entry is lost";
  EXPECT_EQ(rec->hard_state, (RaftHardState{kTerm, 1})) << step;
}

TEST(RaftStorageTest, SnapshotIsWrittenInPiecesAndEveryCrashPointRecovers) {
  MemDisk disk;
  RaftStorage storage(disk, true);
  ASSERT_TRUE(storage.Recover().ok());
  RaftLog log = FillLog(storage);
  ASSERT_TRUE(storage.BeginSnapshot(kEntries, kTerm, kState).ok());
  log.CompactTo(kEntries);
  ExpectRecoversAfterCrash(disk, kEntries, "begun");
  int pieces = 0;
  uint64_t last = kEntries;
  for (int step = 0; storage.snapshot_writing(); ++step) {
    ASSERT_LT(step, 20) << "the write finishes";
    bool rewritten = false;
    ASSERT_TRUE(storage.PumpSnapshot(log, RaftHardState{kTerm, 1}, &rewritten).ok());
    // The log goes on meanwhile: one entry per step, synced by the log's own group commit.
    log.Append(Entry(++last));
    ASSERT_TRUE(storage.AppendEntry(Entry(last)).ok());
    const bool log_sync = storage.StartSync();
    ExpectRecoversAfterCrash(disk, last - 1, "a piece appended, its sync started");
    while (disk.pending_syncs() > 0) {
      MemDisk::Completion done = disk.CompleteOldestSync();
      pieces += done.token >> 63;  // the snapshot's tokens carry the top bit; the log's never.
      ASSERT_TRUE(storage.OnSyncDone(done.token, done.status).ok());
    }
    if (log_sync || rewritten) ExpectRecoversAfterCrash(disk, last, "synced");
  }
  EXPECT_EQ(pieces, 3 + 1) << "the snapshot's three, then the log image's one";
  EXPECT_TRUE(disk.Exists("raft_snapshot"));
  EXPECT_FALSE(disk.Exists("raft_snapshot.tmp"));
  ExpectRecoversAfterCrash(disk, last, "done");
  MemDisk copy = disk;
  copy.Crash();
  RaftStorage again(copy, true);
  absl::StatusOr<RaftRecovered> rec = again.Recover();
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->snapshot_index, kEntries) << "finished: the new snapshot";
  EXPECT_LT(storage.log_bytes(), 10 * 1100u) << "the rewritten log holds the entries after the snapshot only";
}

// A snapshot still being encoded (RaftNode::EncodeSnapshotSlice adds a piece a turn): each piece
// is written and synced as it comes, nothing is renamed before the last one is, and a crash at
// every step recovers the old state (no snapshot, the whole log) or the new one, whole.
TEST(RaftStorageTest, PiecesAreWrittenAsTheyAreEncodedAndEveryCrashPointRecovers) {
  MemDisk disk;
  RaftStorage storage(disk, true);
  ASSERT_TRUE(storage.Recover().ok());
  RaftLog log = FillLog(storage);
  auto pieces = std::make_shared<RaftSnapshotBytes>();
  ASSERT_TRUE(storage.BeginSnapshot(kEntries, kTerm, pieces, /*encoded=*/false).ok());
  const std::string parts[] = {std::string(1000, 'a'), std::string(kRaftSnapshotWriteChunkBytes, 'b'), "c"};
  const std::string whole = parts[0] + parts[1] + parts[2];
  const RaftHardState hs{kTerm, 1};
  bool rewritten = false;
  for (const std::string& part : parts) {
    ASSERT_TRUE(storage.PumpSnapshot(log, hs, &rewritten).ok());
    EXPECT_EQ(disk.pending_syncs(), 0u) << "nothing to write until the node encodes the next piece";
    pieces->Append(part);
    ASSERT_TRUE(storage.PumpSnapshot(log, hs, &rewritten).ok());
    ASSERT_EQ(disk.pending_syncs(), 1u);
    ExpectRecoversAfterCrash(disk, kEntries, "a piece appended", whole);
    MemDisk::Completion done = disk.CompleteOldestSync();
    ASSERT_TRUE(storage.OnSyncDone(done.token, done.status).ok());
    EXPECT_FALSE(disk.Exists("raft_snapshot")) << "not renamed before the last piece";
    ExpectRecoversAfterCrash(disk, kEntries, "a piece synced", whole);
  }
  storage.SnapshotEncoded();
  log.CompactTo(kEntries);
  for (int step = 0; storage.snapshot_writing(); ++step) {
    ASSERT_LT(step, 10) << "the write finishes";
    ASSERT_TRUE(storage.PumpSnapshot(log, hs, &rewritten).ok());
    ExpectRecoversAfterCrash(disk, kEntries, "renamed or the log's image written", whole);
    while (disk.pending_syncs() > 0) {
      MemDisk::Completion done = disk.CompleteOldestSync();
      ASSERT_TRUE(storage.OnSyncDone(done.token, done.status).ok());
    }
  }
  EXPECT_TRUE(rewritten);
  MemDisk copy = disk;
  copy.Crash();
  RaftStorage again(copy, true);
  absl::StatusOr<RaftRecovered> rec = again.Recover();
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->snapshot_index, kEntries);
  EXPECT_TRUE(rec->snapshot_state == whole) << "the pieces, joined";
}

// The log's image goes to its own tmp file in pieces while the log goes on: the records appended
// meanwhile (entries, a hard state, a truncation) are in the rewritten log too, and until its
// rename a crash recovers the old log, whole.
TEST(RaftStorageTest, RecordsAppendedDuringTheLogRewriteAreKept) {
  MemDisk disk;
  RaftStorage storage(disk, true);
  ASSERT_TRUE(storage.Recover().ok());
  RaftLog log = FillLog(storage);
  ASSERT_TRUE(storage.BeginSnapshot(kEntries, kTerm, "small state").ok());  // one piece.
  log.CompactTo(kEntries);
  bool rewritten = false;
  ASSERT_TRUE(storage.PumpSnapshot(log, RaftHardState{kTerm, 1}, &rewritten).ok());
  MemDisk::Completion piece = disk.CompleteOldestSync();
  ASSERT_TRUE(storage.OnSyncDone(piece.token, piece.status).ok());
  ASSERT_TRUE(storage.PumpSnapshot(log, RaftHardState{kTerm, 1}, &rewritten).ok());  // renamed; the log's image.
  EXPECT_TRUE(disk.Exists("raft_snapshot"));
  EXPECT_TRUE(disk.Exists("raft_log.tmp"));
  EXPECT_FALSE(rewritten);
  for (uint64_t i = kEntries + 1; i <= kEntries + 3; ++i) {
    log.Append(Entry(i));
    ASSERT_TRUE(storage.AppendEntry(Entry(i)).ok());
  }
  ASSERT_TRUE(storage.AppendTruncate(kEntries + 3).ok());
  log.TruncateFrom(kEntries + 3);
  ASSERT_TRUE(storage.AppendHardState(RaftHardState{kTerm, 1}).ok());
  ASSERT_TRUE(storage.StartSync());                       // the old log's sync, in flight across the rename below.
  MemDisk::Completion image = disk.CompleteOldestSync();  // the image's piece, queued first.
  ASSERT_TRUE(storage.OnSyncDone(image.token, image.status).ok());
  ExpectRecoversAfterCrash(disk, kEntries, "image synced, the old log's sync in flight", "small state");
  ASSERT_TRUE(storage.PumpSnapshot(log, RaftHardState{kTerm, 1}, &rewritten).ok());
  EXPECT_TRUE(rewritten);
  EXPECT_FALSE(storage.snapshot_writing());
  EXPECT_FALSE(disk.Exists("raft_log.tmp"));
  MemDisk::Completion old_sync = disk.CompleteOldestSync();
  ASSERT_TRUE(storage.OnSyncDone(old_sync.token, old_sync.status).ok());
  EXPECT_TRUE(storage.all_durable());
  ExpectRecoversAfterCrash(disk, kEntries + 2, "rewritten", "small state");
  // The rewritten log goes on like any other.
  ASSERT_TRUE(storage.AppendEntry(Entry(kEntries + 3)).ok());
  ASSERT_TRUE(storage.StartSync());
  MemDisk::Completion next = disk.CompleteOldestSync();
  ASSERT_TRUE(storage.OnSyncDone(next.token, next.status).ok());
  ExpectRecoversAfterCrash(disk, kEntries + 3, "appended after", "small state");
}

TEST(RaftStorageTest, AbandonedSnapshotLeavesNoTmpFileAndItsSyncIsStale) {
  MemDisk disk;
  RaftStorage storage(disk, true);
  WriteFirstSnapshotPiece(storage);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(disk.Exists("raft_snapshot.tmp"));
  ASSERT_TRUE(storage.AbandonSnapshot().ok());
  EXPECT_FALSE(storage.snapshot_writing());
  EXPECT_FALSE(disk.Exists("raft_snapshot.tmp"));
  disk.fail_syncs = true;  // even a failed one: it belongs to no write any more.
  MemDisk::Completion stale = disk.CompleteOldestSync();
  EXPECT_TRUE(storage.OnSyncDone(stale.token, stale.status).ok());
  ExpectRecoversAfterCrash(disk, kEntries, "abandoned");
}

TEST(RaftStorageTest, FailedPieceSyncBreaksTheStorage) {
  MemDisk disk;
  RaftStorage storage(disk, true);
  WriteFirstSnapshotPiece(storage);
  if (HasFatalFailure()) return;
  disk.fail_syncs = true;
  MemDisk::Completion failed = disk.CompleteOldestSync();
  EXPECT_FALSE(storage.OnSyncDone(failed.token, failed.status).ok());
}

}  // namespace
}  // namespace kvlab::core
