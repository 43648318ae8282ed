// `kvlab wal check|repair DIR` through the binary: exit codes and what it says are the contract.
// Data dirs are written in-process with the core's own writers (KvStore, RaftStorage) over a
// PosixDisk, then damaged the way a disk or a crash damages them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/kv/kv_store.h"
#include "core/raft/raft_storage.h"
#include "real/posix_disk.h"
#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::NodeProcess;
using testing::RunShell;
using testing::TempDir;

constexpr int kRecords = 40;

// `kvlab wal ARGS`, stdout and stderr together in *out; the exit code.
int Wal(const std::string& args, std::string* out) {
  out->clear();
  return RunShell(absl::StrCat(KVLAB_BINARY, " wal ", args, " 2>&1"), out);
}

// A single node's WAL of kRecords writes of one size (no snapshot), as an older kvlab left it (no
// record).
void WriteSingleDir(const std::string& dir) {
  std::unique_ptr<PosixDisk> disk = *PosixDisk::Open(dir);
  std::unique_ptr<core::KvStore> store = *core::KvStore::Open(*disk);
  for (int i = 0; i < kRecords; ++i)
    store->Apply(core::Command::Put(absl::StrCat("k", 10 + i), std::string(50, 'v')), 1);
  ASSERT_TRUE(store->Sync().ok());
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  const char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x04));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(WalToolTest, CleanDirChecksZero) {
  TempDir dir;
  WriteSingleDir(dir.path());
  std::string out;
  EXPECT_EQ(Wal("check " + dir.path(), &out), 0) << out;
  EXPECT_NE(out.find(absl::StrCat("wal: ", kRecords, " records, ")), std::string::npos) << out;
  EXPECT_NE(out.find(absl::StrCat("recovery (single): ok: ", kRecords, " keys")), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 6), "clean\n") << out;
}

// A torn tail is what a crash leaves: the node cuts it at start, so it is clean, and neither
// check nor repair touches it.
TEST(WalToolTest, TornTailIsCleanAndLeftToTheNode) {
  TempDir dir;
  WriteSingleDir(dir.path());
  const std::string wal = dir.path() + "/wal";
  const uint64_t good = std::filesystem::file_size(wal);
  const std::string record = core::EncodeWalRecord(std::string(100, 'x'));
  std::ofstream(wal, std::ios::app | std::ios::binary) << record.substr(0, record.size() - 7);
  std::string out;
  EXPECT_EQ(Wal("check " + dir.path(), &out), 0) << out;
  EXPECT_NE(out.find(absl::StrCat("torn tail of ", record.size() - 7, " bytes at offset ", good)), std::string::npos)
      << out;
  EXPECT_EQ(Wal("repair " + dir.path(), &out), 0) << out;
  EXPECT_NE(out.find("nothing cut"), std::string::npos) << out;
  EXPECT_EQ(std::filesystem::file_size(wal), good + record.size() - 7) << "the torn tail was touched";
}

TEST(WalToolTest, FlippedBitMidLogIsCorruptAndRepairCutsThereAfterABackup) {
  TempDir dir;
  WriteSingleDir(dir.path());
  const std::string wal = dir.path() + "/wal";
  const uint64_t size = std::filesystem::file_size(wal);
  const uint64_t record_bytes = size / kRecords;
  ASSERT_EQ(size % kRecords, 0u);
  FlipByte(wal, 20 * record_bytes + record_bytes / 2);  // inside the 21st record's payload.
  const std::string damaged = ReadAll(wal);
  std::string out;
  EXPECT_EQ(Wal("check " + dir.path(), &out), 1) << out;
  EXPECT_NE(out.find("wal: CORRUPT: wal: corrupt record at offset "), std::string::npos) << out;
  EXPECT_NE(out.find("checksum mismatch"), std::string::npos) << out;
  EXPECT_NE(out.find("recovery (single): not run"), std::string::npos) << out;
  EXPECT_EQ(ReadAll(wal), damaged) << "check wrote to the dir";

  EXPECT_EQ(Wal("repair " + dir.path(), &out), 0) << out;
  EXPECT_NE(out.find("wal: backed up to " + dir.path() + "/wal.bak-1, then cut at offset "), std::string::npos) << out;
  EXPECT_EQ(ReadAll(dir.path() + "/wal.bak-1"), damaged);
  EXPECT_EQ(std::filesystem::file_size(wal), 20 * record_bytes);
  EXPECT_NE(out.find(absl::StrCat("cut at offset ", 20 * record_bytes, ": ", 20 * record_bytes,
                                  " bytes: the corrupt record and 19 records after it; 20 records kept")),
            std::string::npos)
      << out;
  EXPECT_EQ(Wal("check " + dir.path(), &out), 0) << out;
}

TEST(WalToolTest, FlippedBitInTheRaftLogIsCorrupt) {
  TempDir dir;
  {
    std::unique_ptr<PosixDisk> disk = *PosixDisk::Open(dir.path());
    core::RaftStorage storage(*disk, /*fsync=*/true);
    ASSERT_TRUE(storage.Recover().ok());
    for (uint64_t i = 1; i <= kRecords; ++i) {
      core::RaftEntry e{
          .term = 1, .index = i, .now_ms = 1, .noop = false, .config = {}, .command = core::Command::Put("k", "v")};
      ASSERT_TRUE(storage.AppendEntry(e).ok());
    }
    ASSERT_TRUE(storage.Sync().ok());
  }
  std::string out;
  EXPECT_EQ(Wal("check " + dir.path(), &out), 0) << out;
  EXPECT_NE(out.find("log entries up to 40"), std::string::npos) << out;
  FlipByte(dir.path() + "/raft_log", std::filesystem::file_size(dir.path() + "/raft_log") / 3);
  EXPECT_EQ(Wal("check " + dir.path(), &out), 1) << out;
  EXPECT_NE(out.find("raft_log: CORRUPT: wal: corrupt record at offset "), std::string::npos) << out;
}

TEST(WalToolTest, MissingOrNonDataDirIsBadInput) {
  TempDir dir;
  std::string out;
  for (const char* cmd : {"check ", "repair "}) {
    EXPECT_EQ(Wal(cmd + dir.path() + "/missing", &out), 2) << out;
    EXPECT_NE(out.find("no such directory"), std::string::npos) << out;
    EXPECT_EQ(Wal(cmd + dir.path(), &out), 2) << out;
    EXPECT_NE(out.find("is not a kvlab data dir"), std::string::npos) << out;
  }
  std::ofstream(dir.path() + "/file") << "x";
  EXPECT_EQ(Wal("check " + dir.path() + "/file", &out), 2) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/missing")) << "repair created the missing dir";
}

TEST(WalToolTest, RepairRefusesADirARunningNodeHolds) {
  TempDir dir;
  NodeProcess node(dir.path());
  ASSERT_GT(node.WaitReady(), 0) << node.stderr_text();
  std::string out;
  EXPECT_EQ(Wal("repair " + dir.path(), &out), 2) << out;
  EXPECT_NE(out.find("is in use by another process: stop the node first"), std::string::npos) << out;
  EXPECT_EQ(Wal("check " + dir.path(), &out), 0) << out;  // check only reads.
}

}  // namespace
}  // namespace kvlab::real
