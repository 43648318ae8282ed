// The start-up recovery lines (real/recovery_report.h), from Info() figures and the files.
#include "real/recovery_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

void WriteBytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

TEST(RecoveryReportTest, NewDataDirHasNothingToReport) {
  testing::TempDir dir;
  RecoveryFacts facts{dir.path(), *FilesOf("raft"), InspectLogFile(dir.path() + "/raft_log"), {}, 0};
  EXPECT_FALSE(facts.log_before.exists);
  EXPECT_TRUE(RecoveryLines(facts).empty());
}

TEST(RecoveryReportTest, RaftReportsSnapshotLogEntriesAndKeys) {
  testing::TempDir dir;
  WriteBytes(dir.path() + "/raft_snapshot", std::string(1234, 's'));
  WriteBytes(dir.path() + "/raft_log", std::string(99, 'l'));
  RecoveryFacts facts{dir.path(),
                      *FilesOf("raft"),
                      InspectLogFile(dir.path() + "/raft_log"),
                      {{"term", "4"}, {"last_log_index", "780"}, {"snapshot_index", "500"}, {"torn_tail_cut", "no"}},
                      12};
  const std::vector<std::string> lines = RecoveryLines(facts);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "loaded snapshot 'raft_snapshot' (index 500, 1234 bytes)");
  EXPECT_EQ(lines[1],
            "read 'raft_log' up to entry 780 (term 4): entries past the snapshot are applied as the "
            "cluster commits them");
  EXPECT_EQ(lines[2], "recovered 12 keys");
}

TEST(RecoveryReportTest, ZeroTailIsMeasuredBeforeRecoveryCutsIt) {
  testing::TempDir dir;
  const std::string wal = dir.path() + "/wal";
  WriteBytes(wal, std::string(70, 'r') + std::string(30, 'x') + std::string(100'000, '\0'));
  const LogFileBefore before = InspectLogFile(wal);
  EXPECT_TRUE(before.exists);
  EXPECT_EQ(before.size, 100'100u);
  EXPECT_EQ(before.zero_tail, 100'000u);
  WriteBytes(wal, std::string(70, 'r'));  // what recovery keeps: a torn write of 30 bytes cut.
  RecoveryFacts facts{dir.path(),
                      *FilesOf("single"),
                      before,
                      {{"recovered_records", "3"}, {"last_lsn", "3"}, {"torn_tail_cut", "yes"}},
                      3};
  const std::vector<std::string> lines = RecoveryLines(facts);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "replayed 3 records of 'wal' (up to LSN 3)");
  EXPECT_EQ(lines[2],
            "cut a torn tail of 'wal': 100030 bytes at offset 70 (a write of 30 bytes the stop "
            "interrupted, then 100000 preallocated zeros)");
}

}  // namespace
}  // namespace kvlab::real
