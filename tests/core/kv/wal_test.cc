#include "core/kv/wal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/constants.h"
#include "tests/support/mem_disk.h"

namespace kvlab::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Writes `records` to a fresh synced log and returns the disk.
void WriteLog(MemDisk& disk, const std::vector<std::string>& records) {
  WalWriter w(disk, "wal", 0);
  for (const std::string& r : records) ASSERT_TRUE(w.Append(r).ok());
  ASSERT_TRUE(w.Sync().ok());
}

TEST(WalTest, MissingFileIsEmptyLog) {
  MemDisk disk;
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->records.empty());
  EXPECT_EQ(got->valid_bytes, 0u);
}

TEST(WalTest, RecordsRoundTripInOrder) {
  MemDisk disk;
  WriteLog(disk, {"a", "", std::string(1000, 'x'), std::string("\0\1", 2)});
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->records, ElementsAre("a", "", std::string(1000, 'x'), std::string("\0\1", 2)));
  EXPECT_FALSE(got->torn_tail_cut);
  EXPECT_EQ(got->valid_bytes, disk.Contents("wal").size());
}

TEST(WalTest, WriterContinuesAfterRecoveredSize) {
  MemDisk disk;
  WriteLog(disk, {"a"});
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  ASSERT_TRUE(got.ok());
  WalWriter w(disk, "wal", got->valid_bytes);
  ASSERT_TRUE(w.Append("b").ok());
  ASSERT_TRUE(w.Sync().ok());
  EXPECT_EQ(w.size(), disk.Contents("wal").size());
  EXPECT_THAT(ReadWal(disk, "wal")->records, ElementsAre("a", "b"));
}

TEST(WalTest, EveryTornTailIsCutAndEarlierRecordsKept) {
  const std::string full = EncodeWalRecord("first") + EncodeWalRecord("second record");
  const size_t first_size = EncodeWalRecord("first").size();
  for (size_t n = first_size + 1; n < full.size(); ++n) {
    MemDisk disk;
    disk.SetContents("wal", full.substr(0, n));
    absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
    ASSERT_TRUE(got.ok()) << n << ": " << got.status();
    EXPECT_THAT(got->records, ElementsAre("first")) << n;
    EXPECT_TRUE(got->torn_tail_cut);
    EXPECT_EQ(got->cut_bytes, n - first_size);
    disk.Crash();  // The cut itself was synced.
    EXPECT_EQ(disk.Contents("wal").size(), first_size) << n;
  }
}

TEST(WalTest, ZeroFilledTailIsCut) {
  MemDisk disk;
  disk.SetContents("wal", EncodeWalRecord("a") + std::string(100, '\0'));
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->records, ElementsAre("a"));
  EXPECT_TRUE(got->torn_tail_cut);
  EXPECT_EQ(disk.Contents("wal"), EncodeWalRecord("a"));
}

// A preallocated log (zeros past the last write) after a crash that cut the last write at a
// sector boundary: the sectors the write did not reach are still zero.
TEST(WalTest, LastRecordCutAtASectorInAPreallocatedFileIsTorn) {
  MemDisk disk;
  const std::string first = EncodeWalRecord("a");
  const std::string second = EncodeWalRecord(std::string(1500, 'v'));
  std::string bytes = first + second + std::string(4096, '\0');
  const size_t cut = 1024;  // a sector boundary inside the second record's payload.
  std::fill(bytes.begin() + cut, bytes.begin() + cut + 512, '\0');
  disk.SetContents("wal", bytes);
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->records, ElementsAre("a"));
  EXPECT_TRUE(got->torn_tail_cut);
  EXPECT_EQ(disk.Contents("wal"), first);
}

TEST(WalTest, HeaderCutAtASectorInAPreallocatedFileIsTorn) {
  MemDisk disk;
  // The second record's header starts 4 bytes before a sector boundary: only its length landed.
  const std::string first = EncodeWalRecord(std::string(512 - 4 - kWalRecordHeaderBytes, 'a'));
  ASSERT_EQ(first.size(), 508u);
  std::string bytes = first + EncodeWalRecord("bbbb").substr(0, 4) + std::string(2048, '\0');
  disk.SetContents("wal", bytes);
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->records.size(), 1u);
  EXPECT_TRUE(got->torn_tail_cut);
}

TEST(WalTest, FlippedBitInLastRecordOfAPreallocatedFileIsDataLoss) {
  MemDisk disk;
  std::string bytes = EncodeWalRecord("a") + EncodeWalRecord(std::string(1500, 'v'));
  bytes[bytes.size() - 100] ^= 0x04;
  bytes += std::string(4096, '\0');
  disk.SetContents("wal", bytes);
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("checksum mismatch"));
}

TEST(WalTest, ZeroedSectorInAMiddleRecordIsDataLoss) {
  MemDisk disk;
  std::string bytes = EncodeWalRecord(std::string(1500, 'v')) + EncodeWalRecord("after");
  std::fill(bytes.begin() + 512, bytes.begin() + 1024, '\0');  // a lost sector, not a torn tail.
  disk.SetContents("wal", bytes);
  EXPECT_EQ(ReadWal(disk, "wal").status().code(), absl::StatusCode::kDataLoss);
}

TEST(WalTest, FlippedPayloadBitInMiddleIsDataLossWithOffset) {
  MemDisk disk;
  std::string bytes = EncodeWalRecord("a") + EncodeWalRecord("bbbb") + EncodeWalRecord("c");
  const size_t second = EncodeWalRecord("a").size();
  bytes[second + kWalRecordHeaderBytes + 2] ^= 0x10;
  disk.SetContents("wal", bytes);
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(),
              HasSubstr(absl::StrCat("corrupt record at offset ", second, " of file 'wal': checksum mismatch")));
  EXPECT_EQ(disk.Contents("wal"), bytes) << "a corrupt log is never truncated";
}

TEST(WalTest, FlippedPayloadBitInLastRecordIsDataLoss) {
  MemDisk disk;
  std::string bytes = EncodeWalRecord("a") + EncodeWalRecord("bbbb");
  bytes.back() ^= 0x01;
  disk.SetContents("wal", bytes);
  EXPECT_EQ(ReadWal(disk, "wal").status().code(), absl::StatusCode::kDataLoss);
}

TEST(WalTest, FlippedLengthBitIsDetectedNotTreatedAsTorn) {
  // Any bit of the length or its check, in the last record too: never a silent truncation.
  const std::string good = EncodeWalRecord("a") + EncodeWalRecord("bbbb");
  const size_t second = EncodeWalRecord("a").size();
  for (size_t byte = 0; byte < 8; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      MemDisk disk;
      std::string bytes = good;
      bytes[second + byte] ^= static_cast<char>(1 << bit);
      disk.SetContents("wal", bytes);
      absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
      ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << byte << "/" << bit;
      EXPECT_THAT(got.status().message(), HasSubstr(absl::StrCat("offset ", second)));
    }
  }
}

TEST(WalTest, OversizedRecordRefusedOnAppend) {
  MemDisk disk;
  WalWriter w(disk, "wal", 0);
  const std::string huge(kMaxWalRecordBytes + 1, 'x');
  EXPECT_EQ(w.Append(huge).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(w.Append("ok").ok()) << "a refused record does not break the writer";
}

TEST(WalTest, OversizedDeclaredLengthIsCorruption) {
  MemDisk disk;
  std::string header;
  ByteWriter w(&header);
  const auto length = static_cast<uint32_t>(kMaxWalRecordBytes + 1);
  w.U32(length);
  w.U32(~length);
  w.U64(0);
  disk.SetContents("wal", EncodeWalRecord("a") + header);
  absl::StatusOr<WalContents> got = ReadWal(disk, "wal");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("above limit"));
}

TEST(WalTest, SyncWithoutAppendsDoesNotTouchDisk) {
  MemDisk disk;
  WalWriter w(disk, "wal", 0);
  EXPECT_TRUE(w.Sync().ok());
  EXPECT_EQ(disk.syncs, 0);
  ASSERT_TRUE(w.Append("a").ok());
  EXPECT_TRUE(w.Sync().ok());
  EXPECT_TRUE(w.Sync().ok());
  EXPECT_EQ(disk.syncs, 1);
}

TEST(WalTest, ResetEmptiesLogDurably) {
  MemDisk disk;
  WalWriter w(disk, "wal", 0);
  ASSERT_TRUE(w.Append("a").ok());
  ASSERT_TRUE(w.Sync().ok());
  ASSERT_TRUE(w.Reset().ok());
  EXPECT_EQ(w.size(), 0u);
  disk.Crash();
  EXPECT_TRUE(ReadWal(disk, "wal")->records.empty());
}

TEST(WalTest, UnsyncedRecordsAreLostOnCrash) {
  MemDisk disk;
  WalWriter w(disk, "wal", 0);
  ASSERT_TRUE(w.Append("a").ok());
  ASSERT_TRUE(w.Sync().ok());
  ASSERT_TRUE(w.Append("b").ok());
  disk.Crash();
  EXPECT_THAT(ReadWal(disk, "wal")->records, ElementsAre("a"));
}

}  // namespace
}  // namespace kvlab::core
