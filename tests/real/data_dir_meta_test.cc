// The data dir's record (real/data_dir_meta.h): its codec, the derived cluster id, and its
// atomic write through a PosixDisk.
#include "real/data_dir_meta.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "real/data_dir_check.h"
#include "real/posix_disk.h"
#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

const std::map<core::NodeId, std::string> kThree = {
    {1, "127.0.0.1:7380"}, {2, "127.0.0.1:7381"}, {3, "127.0.0.1:7382"}};

TEST(DataDirMetaTest, EncodedRecordDecodesToTheSameRecord) {
  const DataDirMeta meta = MetaOfFlags("raft", 2, kThree, "");
  absl::StatusOr<DataDirMeta> back = DecodeMeta(EncodeMeta(meta));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, meta);
  const DataDirMeta alone = MetaOfFlags("single", 1, {{1, ""}}, "");
  EXPECT_EQ(*DecodeMeta(EncodeMeta(alone)), alone);
}

TEST(DataDirMetaTest, AnyChangedByteIsDataLoss) {
  const std::string text = EncodeMeta(MetaOfFlags("raft", 1, kThree, ""));
  for (size_t i = 0; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] ^= 0x01;
    EXPECT_EQ(DecodeMeta(bad).status().code(), absl::StatusCode::kDataLoss) << "byte " << i;
  }
  EXPECT_EQ(DecodeMeta("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeMeta(text.substr(0, text.size() - 5)).status().code(), absl::StatusCode::kDataLoss);
}

// Every member computes the same id from the same flags; addresses do not enter it, so a member
// that moves keeps its cluster's id; a token or another member set gives another id.
TEST(DataDirMetaTest, ClusterIdDependsOnPolicyMembersAndTokenOnly) {
  const std::string id = DeriveClusterId("raft", kThree, "");
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(MetaOfFlags("raft", 1, kThree, "").cluster_id, MetaOfFlags("raft", 3, kThree, "").cluster_id);
  EXPECT_EQ(DeriveClusterId("raft", {{1, "h:1"}, {2, "h:2"}, {3, "h:3"}}, ""), id);
  EXPECT_NE(DeriveClusterId("raft", kThree, "prod"), id);
  EXPECT_NE(DeriveClusterId("raft", {{1, ""}, {2, ""}}, ""), id);
  EXPECT_NE(DeriveClusterId("single", kThree, ""), id);
}

TEST(DataDirMetaTest, WrittenRecordReadsBackAndLeavesNoTmpFile) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<PosixDisk>> disk = PosixDisk::Open(dir.path());
  ASSERT_TRUE(disk.ok());
  EXPECT_TRUE(absl::IsNotFound(ReadMeta(**disk).status()));
  const DataDirMeta meta = MetaOfFlags("raft", 1, kThree, "t");
  ASSERT_TRUE(WriteMeta(**disk, meta).ok());
  ASSERT_TRUE(WriteMeta(**disk, meta).ok());  // a rewrite replaces it.
  EXPECT_EQ(*ReadMeta(**disk), meta);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + kMetaTmpFileName));
}

TEST(DataDirMetaTest, DescribesTheClusterForErrorMessages) {
  const DataDirMeta meta = MetaOfFlags("raft", 1, kThree, "");
  EXPECT_EQ(MemberList(meta), "1,2,3");
  EXPECT_EQ(DescribeCluster(meta), "raft cluster " + meta.cluster_id + " with members 1,2,3");
}

// After a reconfiguration the record keeps the bootstrap members (the cluster id derives from them)
// and whether the node joined a running cluster.
TEST(DataDirMetaTest, BootstrapMembersAndJoinedSurviveTheCodec) {
  DataDirMeta meta = MetaOfFlags("raft", 4, {{2, "h:2"}, {3, "h:3"}, {4, "h:4"}}, "");
  meta.bootstrap = {1, 2, 3};
  meta.joined = true;
  absl::StatusOr<DataDirMeta> back = DecodeMeta(EncodeMeta(meta));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, meta);
  EXPECT_EQ(BootstrapMembers(meta), (std::vector<core::NodeId>{1, 2, 3}));
  EXPECT_EQ(BootstrapMembers(MetaOfFlags("raft", 1, kThree, "")), (std::vector<core::NodeId>{1, 2, 3}));
}

// A reconfigured member restarts with --cluster naming the members in use or the bootstrap ones;
// any other list, and --join on a member's dir, is refused.
TEST(DataDirMetaTest, CheckAcceptsCurrentOrBootstrapMembersOnly) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<PosixDisk>> disk = PosixDisk::Open(dir.path());
  ASSERT_TRUE(disk.ok());
  DataDirMeta recorded = MetaOfFlags("raft", 2, kThree, "");
  recorded.members = {{2, "127.0.0.1:7381"}, {3, "127.0.0.1:7382"}, {4, "127.0.0.1:7383"}};
  recorded.bootstrap = {1, 2, 3};
  ASSERT_TRUE(WriteMeta(**disk, recorded).ok());
  const DataDirMeta current = MetaOfFlags("raft", 2, recorded.members, "");
  EXPECT_TRUE(CheckDataDir(**disk, dir.path(), current, "").ok());
  EXPECT_TRUE(CheckDataDir(**disk, dir.path(), MetaOfFlags("raft", 2, kThree, ""), "").ok());
  absl::StatusOr<DataDirCheck> alone = CheckDataDir(**disk, dir.path(), MetaOfFlags("raft", 2, {{2, ""}}, ""), "");
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.status().message().find("MEMBER ADD/REMOVE"), std::string::npos) << alone.status();
  DataDirMeta join = current;
  join.joined = true;
  EXPECT_FALSE(CheckDataDir(**disk, dir.path(), join, "").ok());
}

}  // namespace
}  // namespace kvlab::real
