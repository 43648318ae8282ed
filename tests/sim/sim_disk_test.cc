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

TEST(SimDiskTest, TornCrashKeepsStrictPrefixOfFirstUnsyncedAppend) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimDisk disk;
    core::Rng rng(seed);
    ASSERT_TRUE(disk.Append("f", "base").ok());
    ASSERT_TRUE(disk.Sync("f").ok());
    ASSERT_TRUE(disk.Append("f", "0123456789").ok());
    ASSERT_TRUE(disk.Append("f", "later").ok());
    disk.Crash(rng, /*tear=*/true);
    const std::string got = ReadOrDie(disk, "f");
    ASSERT_GE(got.size(), 4u);
    ASSERT_LT(got.size(), 14u) << "strict prefix of the first unsynced append only";
    EXPECT_EQ(got, std::string("base0123456789").substr(0, got.size()));
    // What survived is durable: a second crash keeps it.
    disk.Crash(rng, true);
    EXPECT_EQ(ReadOrDie(disk, "f"), got);
  }
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
  disk.Crash(rng, true);
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
  SimDisk disk(DiskModel{.write_latency_ns = 100, .write_bytes_per_sec = 1'000'000'000, .fsync_latency_ns = 5000});
  ASSERT_TRUE(disk.Append("f", std::string(1000, 'x')).ok());  // 100 + 1000 ns
  ASSERT_TRUE(disk.Sync("f").ok());                            // 5000 ns
  EXPECT_EQ(disk.TakeCost(), 6100);
  EXPECT_EQ(disk.TakeCost(), 0);
  EXPECT_EQ(disk.stats().syncs, 1u);
  EXPECT_EQ(disk.stats().bytes_appended, 1000u);
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
