// PosixDisk's preallocated files (the single policy's WAL with --durability fsync): zeros ahead of
// the data, overwritten in place; the WAL's recovery cuts the zero tail a crash leaves behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/kv/kv_store.h"
#include "real/posix_disk.h"
#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::TempDir;

constexpr uint64_t kChunk = 4096;

PosixDiskOptions Preallocate(std::string file) {
  PosixDiskOptions options;
  options.preallocate = {std::move(file)};
  options.preallocate_chunk_bytes = kChunk;
  return options;
}

uint64_t SizeOnDisk(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_size);
}

std::string RawContents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PosixDiskPreallocTest, FileGrowsInChunksOfZerosAheadOfItsData) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path(), Preallocate("wal"));
  ASSERT_TRUE(disk->Append("wal", "abc").ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  EXPECT_EQ(SizeOnDisk(dir.path() + "/wal"), kChunk);
  EXPECT_EQ(*disk->Read("wal"), "abc" + std::string(kChunk - 3, '\0'));
  ASSERT_TRUE(disk->Append("wal", "def").ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  EXPECT_EQ(SizeOnDisk(dir.path() + "/wal"), kChunk) << "appends inside the chunk overwrite zeros";
  EXPECT_EQ(disk->preallocations(), 1u);
  const std::string big(kChunk + 10, 'x');  // crosses into the next chunk.
  ASSERT_TRUE(disk->Append("wal", big).ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  EXPECT_EQ(SizeOnDisk(dir.path() + "/wal"), 2 * kChunk) << "data ends at 4112: zeros up to 8192";
  EXPECT_EQ(disk->Read("wal")->substr(0, 6 + big.size()), "abcdef" + big);
  EXPECT_EQ(disk->preallocations(), 2u);
}

TEST(PosixDiskPreallocTest, OtherFilesAreNotPreallocated) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path(), Preallocate("wal"));
  ASSERT_TRUE(disk->Append("snapshot", "abc").ok());
  ASSERT_TRUE(disk->Sync("snapshot").ok());
  EXPECT_EQ(*disk->Read("snapshot"), "abc");
  EXPECT_EQ(disk->preallocations(), 0u);
}

TEST(PosixDiskPreallocTest, CloseCutsTheZerosAndAppendsContinueAfterReopen) {
  TempDir dir;
  {
    auto disk = *PosixDisk::Open(dir.path(), Preallocate("wal"));
    ASSERT_TRUE(disk->Append("wal", "abc").ok());
    ASSERT_TRUE(disk->FlushBuffers().ok());
  }
  EXPECT_EQ(SizeOnDisk(dir.path() + "/wal"), 3u);
  auto disk = *PosixDisk::Open(dir.path(), Preallocate("wal"));
  ASSERT_TRUE(disk->Append("wal", "def").ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  EXPECT_EQ(disk->Read("wal")->substr(0, 6), "abcdef");
  EXPECT_EQ(SizeOnDisk(dir.path() + "/wal"), kChunk);
}

TEST(PosixDiskPreallocTest, TruncateResetsWhereAppendsGo) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path(), Preallocate("wal"));
  ASSERT_TRUE(disk->Append("wal", "123456").ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  ASSERT_TRUE(disk->Truncate("wal", 2).ok());
  EXPECT_EQ(*disk->Read("wal"), "12");
  ASSERT_TRUE(disk->Append("wal", "x").ok());
  ASSERT_TRUE(disk->Sync("wal").ok());
  EXPECT_EQ(disk->Read("wal")->substr(0, 4), std::string("12x\0", 4));
}

TEST(PosixDiskPreallocTest, BadChunkSizeIsRefused) {
  TempDir dir;
  PosixDiskOptions options = Preallocate("wal");
  options.preallocate_chunk_bytes = 0;
  EXPECT_EQ(PosixDisk::Open(dir.path(), options).status().code(), absl::StatusCode::kInvalidArgument);
}

// What a SIGKILL leaves: the synced records followed by zeros. Copy the live file (zeros
// included) to a second directory and recover from it, as a restarted node would.
TEST(PosixDiskPreallocTest, KvStoreRecoversEverySyncedWriteFromAPreallocatedWal) {
  TempDir live, crashed;
  auto disk = *PosixDisk::Open(live.path(), Preallocate(core::kWalFileName));
  auto store = *core::KvStore::Open(*disk);
  for (int i = 0; i < 200; ++i) {
    store->Apply(core::Command::Put("k" + std::to_string(i), std::string(i % 7, 'v')), 0);
    if (i % 10 == 9) {
      ASSERT_TRUE(store->Sync().ok());
    }
  }
  const std::string raw = RawContents(live.path() + "/wal");
  ASSERT_GT(raw.size(), store->wal_bytes()) << "the live file has zeros ahead of the data";
  std::ofstream(crashed.path() + "/wal", std::ios::binary) << raw;

  {
    auto disk2 = *PosixDisk::Open(crashed.path(), Preallocate(core::kWalFileName));
    auto recovered = *core::KvStore::Open(*disk2);
    EXPECT_EQ(recovered->state(), store->state());
    EXPECT_TRUE(recovered->stats().torn_tail_cut) << "the zeros are cut like a torn tail";
    recovered->Apply(core::Command::Put("after", "restart"), 0);
    ASSERT_TRUE(recovered->Sync().ok());
  }
  auto disk3 = *PosixDisk::Open(crashed.path(), Preallocate(core::kWalFileName));
  auto again = *core::KvStore::Open(*disk3);
  EXPECT_EQ(again->state().size(), 201u);
  EXPECT_FALSE(again->stats().torn_tail_cut) << "a clean close leaves no zeros";
}

}  // namespace
}  // namespace kvlab::real
