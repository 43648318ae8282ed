#include "sim/sim_disk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kvlab::sim {
namespace {

using ::testing::ElementsAre;

std::string ReadOrDie(SimDisk& disk, std::string_view file) {
  absl::StatusOr<std::string> got = disk.Read(file);
  return got.ok() ? *got : "<missing>";
}

TEST(SimDiskTest, CrashKeepsExactlyTheSyncedPrefix) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abc").ok());
  ASSERT_TRUE(disk.Sync("f").ok());
  ASSERT_TRUE(disk.Append("f", "def").ok());
  EXPECT_EQ(ReadOrDie(disk, "f"), "abcdef");
  disk.Crash(rng, /*tear=*/false);
  EXPECT_EQ(ReadOrDie(disk, "f"), "abc");
}

TEST(SimDiskTest, NeverSyncedFileVanishesOnCrash) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abc").ok());
  disk.Crash(rng, false);
  EXPECT_EQ(disk.Read("f").status().code(), absl::StatusCode::kNotFound);
}

TEST(SimDiskTest, TornCrashKeepsAnInOrderPrefixOfPendingAppends) {
  const std::string all = "base0123456789later";
  bool cut_first = false, kept_both = false;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    SimDisk disk;
    core::Rng rng(seed);
    ASSERT_TRUE(disk.Append("f", "base").ok());
    ASSERT_TRUE(disk.Sync("f").ok());
    ASSERT_TRUE(disk.Append("f", "0123456789").ok());
    ASSERT_TRUE(disk.Append("f", "later").ok());
    disk.Crash(rng, /*tear=*/true);
    const std::string got = ReadOrDie(disk, "f");
    ASSERT_GE(got.size(), 4u);
    EXPECT_EQ(got, all.substr(0, got.size())) << "in order, never a hole";
    cut_first |= got.size() > 4 && got.size() < 14;
    kept_both |= got.size() > 14;
    // What survived is durable: a second crash keeps it.
    disk.Crash(rng, true);
    EXPECT_EQ(ReadOrDie(disk, "f"), got);
  }
  EXPECT_TRUE(cut_first);
  EXPECT_TRUE(kept_both);
}

TEST(SimDiskTest, AsyncSyncCompletesLaterAndCoversOnlyEarlierWrites) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abc").ok());
  disk.StartSync("f", 7);
  ASSERT_TRUE(disk.Append("f", "def").ok());  // after the StartSync: not covered.
  EXPECT_TRUE(disk.DeviceIdleWithWork());
  const core::Nanos latency = disk.BeginNextSync(rng);
  EXPECT_GE(latency, DiskModel{}.fsync_quantiles.min * DiskModel{}.fsync_latency_ns / DiskModel{}.fsync_quantiles.p50);
  EXPECT_FALSE(disk.DeviceIdleWithWork());
  const SyncCompletion done = disk.CompleteSync();
  EXPECT_EQ(done.token, 7u);
  EXPECT_TRUE(done.status.ok());
  disk.Crash(rng, /*tear=*/false);
  EXPECT_EQ(ReadOrDie(disk, "f"), "abc");
}

TEST(SimDiskTest, SyncNotCompletedIsLostOnCrash) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abc").ok());
  ASSERT_TRUE(disk.Sync("f").ok());
  ASSERT_TRUE(disk.Append("f", "def").ok());
  disk.StartSync("f", 1);
  (void)disk.BeginNextSync(rng);  // running, not completed.
  disk.Crash(rng, false);
  EXPECT_EQ(ReadOrDie(disk, "f"), "abc");
  EXPECT_EQ(disk.stats().syncs_lost, 1u);
  EXPECT_EQ(disk.queued_syncs(), 0u);
}

TEST(SimDiskTest, DeviceCompletesSyncsOneAtATimeInOrder) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("a", "1").ok());
  disk.StartSync("a", 1);
  ASSERT_TRUE(disk.Append("b", "2").ok());
  disk.StartSync("b", 2);
  EXPECT_EQ(disk.queued_syncs(), 2u);
  (void)disk.BeginNextSync(rng);
  EXPECT_FALSE(disk.DeviceIdleWithWork()) << "one sync runs at a time";
  EXPECT_EQ(disk.CompleteSync().token, 1u);
  EXPECT_TRUE(disk.DeviceIdleWithWork());
  (void)disk.BeginNextSync(rng);
  EXPECT_EQ(disk.CompleteSync().token, 2u);
  EXPECT_EQ(disk.queued_syncs(), 0u);
}

TEST(SimDiskTest, AsyncSyncAfterTruncateKeepsTheCoveredState) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abcdef").ok());
  ASSERT_TRUE(disk.Sync("f").ok());
  ASSERT_TRUE(disk.Append("f", "gh").ok());
  ASSERT_TRUE(disk.Truncate("f", 2).ok());
  disk.StartSync("f", 1);
  ASSERT_TRUE(disk.Append("f", "XY").ok());
  (void)disk.BeginNextSync(rng);
  ASSERT_TRUE(disk.CompleteSync().status.ok());
  disk.Crash(rng, false);
  EXPECT_EQ(ReadOrDie(disk, "f"), "ab");
}

TEST(SimDiskTest, InjectedErrorsFailWritesAndSyncsUntilCrash) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abc").ok());
  disk.FailWrites(true);
  EXPECT_EQ(disk.Append("f", "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(disk.Truncate("f", 0).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(disk.stats().write_errors, 2u);
  disk.FailWrites(false);
  disk.FailSyncs(true);
  EXPECT_EQ(disk.Sync("f").code(), absl::StatusCode::kInternal);
  disk.StartSync("f", 3);
  (void)disk.BeginNextSync(rng);
  const SyncCompletion done = disk.CompleteSync();
  EXPECT_EQ(done.token, 3u);
  EXPECT_EQ(done.status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(disk.stats().sync_errors, 2u);
  EXPECT_TRUE(disk.injecting_errors());
  disk.Crash(rng, false);
  EXPECT_FALSE(disk.injecting_errors());
  EXPECT_EQ(disk.Read("f").status().code(), absl::StatusCode::kNotFound) << "nothing was ever synced";
  EXPECT_TRUE(disk.Append("f", "ok").ok());
}

TEST(SimDiskTest, TearHitsOnlyOneFile) {
  SimDisk disk;
  core::Rng rng(3);
  for (const char* f : {"a", "b"}) {
    ASSERT_TRUE(disk.Append(f, "x").ok());
    ASSERT_TRUE(disk.Sync(f).ok());
    ASSERT_TRUE(disk.Append(f, std::string(1000, 'y')).ok());
  }
  disk.Crash(rng, true);
  const size_t grown = (ReadOrDie(disk, "a").size() > 1) + (ReadOrDie(disk, "b").size() > 1);
  EXPECT_LE(grown, 1u);
  EXPECT_EQ(disk.stats().torn_writes, 1u);
}

TEST(SimDiskTest, UnsyncedTruncateIsUndoneByCrash) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", "abcdef").ok());
  ASSERT_TRUE(disk.Sync("f").ok());
  ASSERT_TRUE(disk.Truncate("f", 2).ok());
  ASSERT_TRUE(disk.Append("f", "XY").ok());
  EXPECT_EQ(ReadOrDie(disk, "f"), "abXY");
  disk.Crash(rng, false);
  EXPECT_EQ(ReadOrDie(disk, "f"), "abcdef");
  EXPECT_EQ(disk.Truncate("f", 100).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SimDiskTest, RenameAndRemoveAreDurableAtOnce) {
  SimDisk disk;
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("tmp", "data").ok());
  ASSERT_TRUE(disk.Sync("tmp").ok());
  ASSERT_TRUE(disk.Append("gone", "x").ok());
  ASSERT_TRUE(disk.Sync("gone").ok());
  ASSERT_TRUE(disk.Rename("tmp", "final").ok());
  ASSERT_TRUE(disk.Remove("gone").ok());
  ASSERT_TRUE(disk.Remove("never-existed").ok());
  disk.Crash(rng, false);
  EXPECT_THAT(disk.FileNames(), ElementsAre("final"));
  EXPECT_EQ(ReadOrDie(disk, "final"), "data");
}

TEST(SimDiskTest, FlipRandomBitChangesExactlyOneBit) {
  SimDisk disk;
  core::Rng rng(9);
  EXPECT_FALSE(disk.FlipRandomBit(rng));
  const std::string original(64, '\0');
  ASSERT_TRUE(disk.Append("f", original).ok());
  ASSERT_TRUE(disk.Sync("f").ok());
  ASSERT_TRUE(disk.FlipRandomBit(rng));
  const std::string got = ReadOrDie(disk, "f");
  int bits = 0;
  for (size_t i = 0; i < got.size(); ++i) bits += __builtin_popcount(static_cast<unsigned char>(got[i]));
  EXPECT_EQ(bits, 1);
  disk.Crash(rng, false);
  EXPECT_EQ(ReadOrDie(disk, "f"), got) << "the flip is on the media";
}

TEST(SimDiskTest, CostModelChargesWritesAndSyncs) {
  SimDisk disk(DiskModel{.write_latency_ns = 100,
                         .write_bytes_per_sec = 1'000'000'000,
                         .fsync_latency_ns = 5000,
                         .fsync_jitter_ns = 0,
                         .fsync_slow_ppm = 0,
                         .fsync_slow_ns = 0,
                         .sync_bytes_per_sec = 0});
  ASSERT_TRUE(disk.Append("f", std::string(1000, 'x')).ok());  // 100 + 1000 ns
  ASSERT_TRUE(disk.Sync("f").ok());                            // 5000 ns
  EXPECT_EQ(disk.TakeCost(), 6100);
  EXPECT_EQ(disk.TakeCost(), 0);
  EXPECT_EQ(disk.stats().syncs, 1u);
  EXPECT_EQ(disk.stats().bytes_appended, 1000u);
}

// A sync writes back what its file gained since its last sync: a large snapshot's sync is slow,
// blocking (the node's turn pays it) or not (the device is busy that long).
TEST(SimDiskTest, SyncTimeGrowsWithTheBytesItWritesBack) {
  const DiskModel model{.write_latency_ns = 0,
                        .write_bytes_per_sec = 0,
                        .fsync_latency_ns = 1000,
                        .fsync_quantiles = {},
                        .sync_bytes_per_sec = 1'000'000'000};  // 1 byte per ns.
  SimDisk disk(model);
  core::Rng rng(1);
  ASSERT_TRUE(disk.Append("f", std::string(50'000, 'x')).ok());
  ASSERT_TRUE(disk.Append("g", std::string(7'000, 'y')).ok());  // another file: not f's sync.
  ASSERT_TRUE(disk.Sync("f").ok());
  EXPECT_EQ(disk.TakeCost(), 1000 + 50'000);
  ASSERT_TRUE(disk.Sync("f").ok());  // nothing new: the fixed cost only.
  EXPECT_EQ(disk.TakeCost(), 1000);

  ASSERT_TRUE(disk.Append("f", std::string(20'000, 'x')).ok());
  disk.StartSync("f", 1);
  ASSERT_TRUE(disk.Append("f", std::string(90'000, 'x')).ok());  // after the StartSync: not covered.
  disk.StartSync("g", 2);
  EXPECT_EQ(disk.BeginNextSync(rng), 1000 + 20'000);
  EXPECT_EQ(disk.CompleteSync().token, 1u);
  EXPECT_EQ(disk.BeginNextSync(rng), 1000 + 7'000);
  EXPECT_EQ(disk.CompleteSync().token, 2u);
}

TEST(SimDiskTest, SyncOfMissingFileIsNotFound) {
  SimDisk disk;
  EXPECT_EQ(disk.Sync("nope").code(), absl::StatusCode::kNotFound);
}

TEST(SimDiskTest, SameSeedSameCrashOutcome) {
  auto run = [](uint64_t seed) {
    SimDisk disk;
    core::Rng rng(seed);
    for (const char* f : {"a", "b", "c"}) {
      (void)disk.Append(f, "0");
      (void)disk.Sync(f);
      (void)disk.Append(f, std::string(100, 'z'));
    }
    disk.Crash(rng, true);
    return ReadOrDie(disk, "a") + "|" + ReadOrDie(disk, "b") + "|" + ReadOrDie(disk, "c");
  };
  EXPECT_EQ(run(42), run(42));
}

}  // namespace
}  // namespace kvlab::sim
