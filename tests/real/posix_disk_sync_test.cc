// PosixDisk::StartSync: syncs on the sync thread (async_syncs) or inline, completions in order.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "real/posix_disk.h"
#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::TempDir;

PosixDiskOptions Async(std::chrono::milliseconds delay = {}) {
  PosixDiskOptions o;
  o.async_syncs = true;
  o.sync_delay = delay;
  return o;
}

// What another reader finds in the file (the OS's view, not the disk's buffer).
std::string FileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits (bounded) for the sync thread's eventfd, then takes the completions.
std::vector<SyncDone> WaitAndTake(PosixDisk& disk) {
  pollfd p{disk.sync_event_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 10'000), 1) << "no completion within 10 s";
  return disk.TakeSyncsDone();
}

TEST(PosixDiskSyncTest, StartSyncWritesTheBufferThenCompletesOnTheThread) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path() + "/d", Async());
  ASSERT_GE(disk->sync_event_fd(), 0);
  ASSERT_TRUE(disk->Append("wal", "abc").ok());
  disk->StartSync("wal", 7);
  // The buffered bytes reached the OS before StartSync returned (the thread only syncs).
  EXPECT_EQ(FileText(dir.path() + "/d/wal"), "abc");
  EXPECT_EQ(disk->syncs_outstanding(), 1u);
  EXPECT_FALSE(disk->has_syncs_ready()) << "the eventfd announces thread completions";
  const std::vector<SyncDone> done = WaitAndTake(*disk);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, 7u);
  EXPECT_TRUE(done[0].status.ok()) << done[0].status;
  EXPECT_EQ(disk->syncs_outstanding(), 0u);
  EXPECT_EQ(disk->fsyncs(), 1u);
}

TEST(PosixDiskSyncTest, WithoutAsyncSyncsStartSyncSyncsInlineAndQueuesTheCompletion) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path() + "/d");
  EXPECT_EQ(disk->sync_event_fd(), -1);
  ASSERT_TRUE(disk->Append("wal", "abc").ok());
  disk->StartSync("wal", 3);
  EXPECT_EQ(disk->fsyncs(), 1u) << "synced before StartSync returned";
  EXPECT_TRUE(disk->has_syncs_ready());
  const std::vector<SyncDone> done = disk->TakeSyncsDone();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, 3u);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_FALSE(disk->has_syncs_ready());
}

// Every fdatasync's time is in sync_latency(), the sync thread's and the inline ones alike (INFO
// persistence publishes it): with a slow disk of 20 ms, no sync is recorded as shorter.
TEST(PosixDiskSyncTest, SyncLatencyRecordsEverySyncThreadAndInline) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path() + "/d", Async(std::chrono::milliseconds(20)));
  ASSERT_TRUE(disk->Append("wal", "abc").ok());
  disk->StartSync("wal", 1);
  ASSERT_EQ(WaitAndTake(*disk).size(), 1u);
  ASSERT_TRUE(disk->Append("wal", "def").ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  EXPECT_EQ(disk->sync_latency().count(), 2u);
  EXPECT_GE(disk->sync_latency().min(), 20'000'000);
}

// The sync is slowed so that it is still in flight (not handed out) while the disk removes,
// renames and truncates the files under it: each completes OK, in order, with no crash.
TEST(PosixDiskSyncTest, FilesMayBeRemovedRenamedAndTruncatedWhileTheirSyncIsInFlight) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path() + "/d", Async(std::chrono::milliseconds(200)));
  ASSERT_TRUE(disk->Append("a", "doomed").ok());
  disk->StartSync("a", 1);
  ASSERT_TRUE(disk->Remove("a").ok());
  ASSERT_TRUE(disk->Append("tmp", "snapshot").ok());
  disk->StartSync("tmp", 2);
  ASSERT_TRUE(disk->Rename("tmp", "snap").ok());
  ASSERT_TRUE(disk->Append("wal", "0123456789").ok());
  disk->StartSync("wal", 3);
  ASSERT_TRUE(disk->Truncate("wal", 4).ok());
  disk->WaitForSyncs();
  std::vector<core::SyncToken> tokens;
  for (const SyncDone& d : disk->TakeSyncsDone()) {
    tokens.push_back(d.token);
    EXPECT_TRUE(d.status.ok()) << d.token << ": " << d.status;
  }
  EXPECT_EQ(tokens, (std::vector<core::SyncToken>{1, 2, 3}));
  EXPECT_EQ(*disk->Read("snap"), "snapshot");
  EXPECT_EQ(*disk->Read("wal"), "0123");
  EXPECT_EQ(disk->Read("a").status().code(), absl::StatusCode::kNotFound);
}

TEST(PosixDiskSyncTest, AFailedStartSyncCompletesAfterTheSyncsBeforeIt) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path() + "/d", Async(std::chrono::milliseconds(100)));
  ASSERT_TRUE(disk->Append("wal", "x").ok());
  disk->StartSync("wal", 1);
  disk->StartSync("../escape", 2);  // refused on the caller's thread: an inline completion.
  EXPECT_TRUE(disk->has_syncs_ready());
  const std::vector<SyncDone> done = disk->TakeSyncsDone();
  ASSERT_EQ(done.size(), 2u) << "the inline failure waited for the sync in flight";
  EXPECT_EQ(done[0].token, 1u);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[1].token, 2u);
  EXPECT_EQ(done[1].status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(PosixDiskSyncTest, ClosingTheDiskFinishesTheSyncsInFlight) {
  TempDir dir;
  {
    auto disk = *PosixDisk::Open(dir.path() + "/d", Async(std::chrono::milliseconds(100)));
    ASSERT_TRUE(disk->Append("wal", "kept").ok());
    disk->StartSync("wal", 1);
  }
  auto disk = *PosixDisk::Open(dir.path() + "/d");
  EXPECT_EQ(*disk->Read("wal"), "kept");
}

TEST(PosixDiskSyncTest, ASyncDelayOutOfRangeIsRefused) {
  TempDir dir;
  PosixDiskOptions o;
  o.sync_delay = kMaxSyncDelay + std::chrono::milliseconds(1);
  EXPECT_EQ(PosixDisk::Open(dir.path() + "/d", o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kvlab::real
