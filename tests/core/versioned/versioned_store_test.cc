#include "core/versioned/versioned_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/mem_disk.h"

namespace kvlab::core {
namespace {

constexpr VersionedFiles kFiles{.wal = "vwal", .snapshot = "vsnap", .snapshot_tmp = "vsnap.tmp"};

VersionedEntry Val(uint64_t stamp, NodeId node, std::string v) { return {{stamp, node}, false, std::move(v)}; }
VersionedEntry Tomb(uint64_t stamp, NodeId node) { return {{stamp, node}, true, ""}; }

std::unique_ptr<VersionedStore> OpenStore(MemDisk& disk, uint64_t snapshot_threshold = kWalSnapshotThresholdBytes) {
  absl::StatusOr<std::unique_ptr<VersionedStore>> s =
      VersionedStore::Open(disk, kFiles, {.fsync = true, .snapshot_threshold_bytes = snapshot_threshold});
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(VersionTest, OrdersByStampThenNode) {
  EXPECT_LT((Version{1, 5}), (Version{2, 1}));
  EXPECT_LT((Version{2, 1}), (Version{2, 2}));
  EXPECT_TRUE(Version{}.zero());
}

TEST(VersionedStoreTest, AppliesOnlyNewerVersions) {
  MemDisk disk;
  auto store = OpenStore(disk);
  EXPECT_TRUE(*store->Put("k", Val(2, 1, "b")));
  EXPECT_FALSE(*store->Put("k", Val(1, 9, "a"))) << "older: refused";
  EXPECT_FALSE(*store->Put("k", Val(2, 1, "b"))) << "same version: a duplicate, refused";
  EXPECT_EQ(store->Find("k")->value, "b");
  EXPECT_TRUE(*store->Put("k", Tomb(3, 2)));
  EXPECT_TRUE(store->Find("k")->tombstone);
  EXPECT_EQ(store->live().size(), 0u) << "a tombstone is not a live value";
  EXPECT_EQ(store->stats().stale_puts, 2u);
}

TEST(VersionedStoreTest, WritesAreDurableOnlyAfterTheirSync) {
  MemDisk disk;
  auto store = OpenStore(disk);
  ASSERT_TRUE(store->Put("k", Val(1, 1, "a")).ok());
  EXPECT_GT(store->write_mark(), store->durable_mark());
  ASSERT_TRUE(store->StartSync());
  EXPECT_FALSE(store->StartSync()) << "one sync in flight at a time";
  ASSERT_TRUE(store->Put("k", Val(2, 1, "b")).ok());
  MemDisk::Completion done = disk.CompleteOldestSync();
  ASSERT_TRUE(store->OnSyncDone(done.token, done.status).ok());
  EXPECT_EQ(store->durable_mark(), 1u) << "the second write waits for the next sync";
  disk.Crash();
  auto recovered = OpenStore(disk);
  EXPECT_EQ(recovered->Find("k")->value, "a") << "the unsynced write is gone, the synced one stays";
}

TEST(VersionedStoreTest, RecoversFromSnapshotAndWal) {
  MemDisk disk;
  {
    auto store = OpenStore(disk, /*snapshot_threshold=*/64);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->Put("k" + std::to_string(i % 5), Val(i + 1, 1, "v")).ok());
    ASSERT_TRUE(store->Put("k0", Tomb(100, 2)).ok());
    ASSERT_TRUE(store->Sync().ok());
    EXPECT_GT(store->stats().snapshots, 0u);
    ASSERT_TRUE(store->Put("k1", Val(200, 3, "late")).ok());
    ASSERT_TRUE(store->Sync().ok());
  }
  auto store = OpenStore(disk);
  EXPECT_TRUE(store->Find("k0")->tombstone);
  EXPECT_EQ(store->Find("k1")->value, "late");
  EXPECT_EQ(store->Find("k1")->version, (Version{200, 3}));
  EXPECT_EQ(store->entries().size(), 5u);
}

TEST(VersionedStoreTest, CollectDropsOnlyTheNamedTombstone) {
  MemDisk disk;
  auto store = OpenStore(disk);
  ASSERT_TRUE(store->Put("k", Tomb(3, 1)).ok());
  EXPECT_FALSE(store->Collect("k", Version{2, 1}));
  EXPECT_TRUE(store->Collect("k", Version{3, 1}));
  EXPECT_EQ(store->Find("k"), nullptr);
}

TEST(VersionedStoreTest, CorruptSnapshotIsRefused) {
  MemDisk disk;
  ASSERT_TRUE(disk.Append("vsnap", "garbage-garbage-garbage").ok());
  absl::StatusOr<std::unique_ptr<VersionedStore>> s = VersionedStore::Open(disk, kFiles);
  EXPECT_TRUE(absl::IsDataLoss(s.status())) << s.status();
}

}  // namespace
}  // namespace kvlab::core
