#include "core/kv/kv_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/assert.h"
#include "tests/support/mem_disk.h"

namespace kvlab::core {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<KvStore> OpenOrDie(Disk& disk, KvStoreOptions options = {}) {
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(disk, options);
  KV_ASSERT(store.ok());
  return *std::move(store);
}

std::string Get(KvStore& store, const std::string& key) {
  Result r = store.Apply(Command::Get(key), 0);
  return r.kind == ResultKind::kValue ? r.value : "<nil>";
}

TEST(KvStoreTest, SyncedWritesSurviveCrash) {
  MemDisk disk;
  {
    auto store = OpenOrDie(disk);
    EXPECT_EQ(store->Apply(Command::Put("a", "1"), 0), Result::Ok());
    EXPECT_TRUE(store->dirty());
    ASSERT_TRUE(store->Sync().ok());
    EXPECT_FALSE(store->dirty());
  }
  disk.Crash();
  auto store = OpenOrDie(disk);
  EXPECT_EQ(Get(*store, "a"), "1");
  EXPECT_EQ(store->stats().recovered_records, 1u);
}

TEST(KvStoreTest, UnsyncedWritesAreLostOnCrash) {
  MemDisk disk;
  {
    auto store = OpenOrDie(disk);
    store->Apply(Command::Put("a", "1"), 0);
    ASSERT_TRUE(store->Sync().ok());
    store->Apply(Command::Put("b", "2"), 0);
  }
  disk.Crash();
  auto store = OpenOrDie(disk);
  EXPECT_EQ(Get(*store, "a"), "1");
  EXPECT_EQ(Get(*store, "b"), "<nil>");
  // New writes continue the LSN sequence and replay again.
  store->Apply(Command::Put("c", "3"), 0);
  ASSERT_TRUE(store->Sync().ok());
  disk.Crash();
  EXPECT_EQ(Get(*OpenOrDie(disk), "c"), "3");
}

TEST(KvStoreTest, OneSyncCoversManyWrites) {
  MemDisk disk;
  auto store = OpenOrDie(disk);
  for (int i = 0; i < 10; ++i) store->Apply(Command::Put("k" + std::to_string(i), "v"), 0);
  ASSERT_TRUE(store->Sync().ok());
  ASSERT_TRUE(store->Sync().ok());
  EXPECT_EQ(disk.syncs, 1);
  EXPECT_EQ(store->stats().fsyncs, 1u);
  EXPECT_EQ(store->stats().records, 10u);
}

TEST(KvStoreTest, ReadsAreNotLogged) {
  MemDisk disk;
  auto store = OpenOrDie(disk);
  store->Apply(Command::Get("a"), 0);
  EXPECT_FALSE(store->dirty());
  EXPECT_EQ(store->wal_bytes(), 0u);
  ASSERT_TRUE(store->Sync().ok());
  EXPECT_EQ(disk.syncs, 0);
}

TEST(KvStoreTest, FsyncOffNeverSyncsButWritesReachDisk) {
  MemDisk disk;
  {
    auto store = OpenOrDie(disk, KvStoreOptions{.fsync = false});
    store->Apply(Command::Put("a", "1"), 0);
    ASSERT_TRUE(store->Sync().ok());
    EXPECT_EQ(disk.syncs, 0);
  }
  EXPECT_EQ(Get(*OpenOrDie(disk), "a"), "1") << "a clean restart reads what was written";
}

TEST(KvStoreTest, SnapshotBoundsTheLogAndRecoveryUsesIt) {
  MemDisk disk;
  KvState expected;
  {
    auto store = OpenOrDie(disk, KvStoreOptions{.snapshot_threshold_bytes = 2000});
    for (int i = 0; i < 500; ++i) {
      Command c = Command::Put("k" + std::to_string(i % 37), std::string(i % 13, 'x'));
      store->Apply(c, 0);
      expected.Apply(c, 0);
      if (i % 7 == 0) {
        ASSERT_TRUE(store->Sync().ok());
      }
    }
    ASSERT_TRUE(store->Sync().ok());
    EXPECT_GT(store->stats().snapshots, 0u);
    EXPECT_LE(store->wal_bytes(), 2000u + 200u);
    EXPECT_EQ(store->state(), expected);
  }
  disk.Crash();
  auto store = OpenOrDie(disk);
  EXPECT_EQ(store->state(), expected);
  EXPECT_GT(store->stats().snapshot_lsn, 0u);
}

TEST(KvStoreTest, CorruptSnapshotIsRefusedNamingTheFile) {
  MemDisk disk;
  {
    auto store = OpenOrDie(disk);
    store->Apply(Command::Put("a", "1"), 0);
    ASSERT_TRUE(store->TakeSnapshot().ok());
  }
  std::string bytes = disk.Contents(kSnapshotFileName);
  bytes[bytes.size() / 2] ^= 0x04;
  disk.SetContents(kSnapshotFileName, bytes);
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(disk);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("'snapshot'"));
}

TEST(KvStoreTest, CrashBetweenSnapshotRenameAndWalResetSkipsCoveredRecords) {
  MemDisk disk;
  KvState state;
  {
    auto store = OpenOrDie(disk);
    store->Apply(Command::Put("a", "1"), 0);
    store->Apply(Command::Put("b", "2"), 0);
    ASSERT_TRUE(store->Sync().ok());
    state = store->state();
  }
  // The snapshot landed but the WAL was not emptied yet.
  disk.SetContents(kSnapshotFileName, EncodeSnapshotFile(2, state));
  disk.SetContents(kSnapshotTmpFileName, "garbage left by a crash");
  {
    auto store = OpenOrDie(disk);
    EXPECT_EQ(store->state(), state);
    EXPECT_EQ(store->stats().recovered_records, 0u);
    EXPECT_FALSE(disk.Exists(kSnapshotTmpFileName));
    store->Apply(Command::Put("c", "3"), 0);
    ASSERT_TRUE(store->Sync().ok());
  }
  disk.Crash();
  auto store = OpenOrDie(disk);
  EXPECT_EQ(Get(*store, "c"), "3");
  EXPECT_EQ(store->last_lsn(), 3u);
}

TEST(KvStoreTest, CorruptWalRecordIsRefused) {
  MemDisk disk;
  {
    auto store = OpenOrDie(disk);
    store->Apply(Command::Put("a", "1"), 0);
    store->Apply(Command::Put("b", "2"), 0);
    ASSERT_TRUE(store->Sync().ok());
  }
  std::string bytes = disk.Contents(kWalFileName);
  bytes[kWalRecordHeaderBytes + 3] ^= 0x01;
  disk.SetContents(kWalFileName, bytes);
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(disk);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("offset 0 of file 'wal'"));
}

TEST(KvStoreTest, ReplayUsesTheTimeEachWriteFirstRan) {
  // SET NX on an expired key succeeds only at the original time: replay must reuse it.
  MemDisk disk;
  KvState state;
  {
    auto store = OpenOrDie(disk);
    Command ttl = Command::Put("a", "old");
    ttl.expire_at_ms = 100;
    store->Apply(ttl, 0);
    Command nx = Command::Put("a", "new");
    nx.condition = PutCondition::kIfAbsent;
    EXPECT_EQ(store->Apply(nx, 500), Result::Ok());
    ASSERT_TRUE(store->Sync().ok());
    state = store->state();
  }
  disk.Crash();
  EXPECT_EQ(OpenOrDie(disk)->state(), state);
}

TEST(KvStoreTest, GapInLsnsIsDataLoss) {
  MemDisk disk;
  std::string wal;
  for (uint64_t lsn : {1, 3}) {
    std::string payload;
    ByteWriter w(&payload);
    w.U64(lsn);
    w.I64(0);
    EncodeCommand(Command::Put("a", "1"), w);
    wal += EncodeWalRecord(payload);
  }
  disk.SetContents(kWalFileName, wal);
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(disk);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("LSN 3 after 1"));
}

}  // namespace
}  // namespace kvlab::core
