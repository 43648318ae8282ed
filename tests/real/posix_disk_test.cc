#include "real/posix_disk.h"

#include <gtest/gtest.h>

#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::TempDir;

TEST(PosixDiskTest, AppendsAreReadBackAndSurviveReopen) {
  TempDir dir;
  {
    auto disk = *PosixDisk::Open(dir.path() + "/d");
    ASSERT_TRUE(disk->Append("wal", "abc").ok());
    ASSERT_TRUE(disk->Append("wal", "def").ok());
    EXPECT_EQ(*disk->Read("wal"), "abcdef");  // buffered appends are visible to Read.
    ASSERT_TRUE(disk->Sync("wal").ok());
    EXPECT_EQ(disk->fsyncs(), 1u);
    ASSERT_TRUE(disk->Append("wal", "g").ok());
    ASSERT_TRUE(disk->FlushBuffers().ok());
  }
  auto disk = *PosixDisk::Open(dir.path() + "/d");
  EXPECT_EQ(*disk->Read("wal"), "abcdefg");
}

TEST(PosixDiskTest, MissingFileIsNotFound) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path());
  EXPECT_EQ(disk->Read("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(disk->Remove("nope").ok());
}

TEST(PosixDiskTest, TruncateRenameAndRemove) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path());
  ASSERT_TRUE(disk->Append("a", "123456").ok());
  ASSERT_TRUE(disk->Truncate("a", 2).ok());
  EXPECT_EQ(*disk->Read("a"), "12");
  ASSERT_TRUE(disk->Append("a", "x").ok());
  EXPECT_EQ(*disk->Read("a"), "12x");
  ASSERT_TRUE(disk->Append("tmp", "new").ok());
  ASSERT_TRUE(disk->Sync("tmp").ok());
  ASSERT_TRUE(disk->Rename("tmp", "a").ok());
  EXPECT_EQ(*disk->Read("a"), "new");
  ASSERT_TRUE(disk->Append("a", "!").ok());  // appends go to the renamed file, not the old inode.
  EXPECT_EQ(*disk->Read("a"), "new!");
  ASSERT_TRUE(disk->Remove("a").ok());
  EXPECT_EQ(disk->Read("a").status().code(), absl::StatusCode::kNotFound);
}

TEST(PosixDiskTest, FileNamesCannotEscapeTheDirectory) {
  TempDir dir;
  auto disk = *PosixDisk::Open(dir.path());
  EXPECT_EQ(disk->Append("../x", "a").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(disk->Read("a/b").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PosixDiskTest, ADataDirCanBeOpenedByOneOwnerOnly) {
  TempDir dir;
  auto first = PosixDisk::Open(dir.path());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(PosixDisk::Open(dir.path()).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kvlab::real
