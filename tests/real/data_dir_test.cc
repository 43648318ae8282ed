// A data dir remembers the configuration it was bootstrapped with (real/data_dir_meta.h): real
// `kvlab node` processes restarted with another membership, id or policy refuse to start (exit 2,
// one line naming both configurations) instead of splitting the cluster's brain or showing an
// empty database.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "real/data_dir_meta.h"
#include "tests/real/node_process.h"
#include "tests/real/ports.h"

namespace kvlab::real {
namespace {

using testing::CallUntilServed;
using testing::FreeBasePort;
using testing::kPeerPortOffset;
using testing::NodeProcess;
using testing::TempDir;

constexpr int kNodes = 3;

bool OneLine(const std::string& text) { return !text.empty() && text.find('\n') == text.size() - 1; }

// Three raft nodes as separate `kvlab node` processes on fixed loopback ports.
class RaftDirsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeBasePort(kNodes);
    ASSERT_NE(base_, 0);
  }
  std::string Dir(int id) const { return absl::StrCat(dir_.path(), "/node-", id); }
  int Port(int id) const { return base_ + id - 1; }
  // "1=127.0.0.1:P1,..." for the given ids.
  std::string Members(const std::vector<int>& ids, int peer_shift = 0) const {
    std::string out;
    for (int id : ids)
      absl::StrAppend(&out, out.empty() ? "" : ",", id, "=127.0.0.1:", base_ + kPeerPortOffset + id - 1 + peer_shift);
    return out;
  }
  // `kvlab node --id ID` on its ports and data dir with `extra` flags (policy raft unless given).
  std::unique_ptr<NodeProcess> Node(int id, std::vector<std::string> extra) {
    std::vector<std::string> args = {"node",       "--id",  absl::StrCat(id), "--port", absl::StrCat(Port(id)),
                                     "--data-dir", Dir(id), "--durability",   "none"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<NodeProcess>(NodeProcess::Kvlab{std::move(args)});
  }
  // Bootstraps the 3-node cluster, writes split=majority through it, and stops every node.
  void BootstrapWriteAndStop() {
    std::unique_ptr<NodeProcess> nodes[kNodes];
    for (int id = 1; id <= kNodes; ++id) {
      nodes[id - 1] = Node(id, {"--policy", "raft", "--cluster", Members({1, 2, 3})});
    }
    for (int id = 1; id <= kNodes; ++id)
      ASSERT_EQ(nodes[id - 1]->WaitReady(), Port(id)) << nodes[id - 1]->stderr_text();
    std::optional<net::RespValue> set = CallUntilServed(Port(2), {"SET", "split", "majority"});
    ASSERT_TRUE(set.has_value());
    ASSERT_EQ(set->str, "OK");
    for (auto& n : nodes) n->Signal(SIGTERM);
    for (auto& n : nodes) ASSERT_EQ(n->WaitExit(), 0) << n->stderr_text();
  }
  // The node must exit 2 before it listens, with one line on stderr; returns that line.
  std::string ExpectRefused(NodeProcess& node) {
    EXPECT_EQ(node.WaitReady(), 0) << "the node started: " << node.stdout_text();
    EXPECT_EQ(node.WaitExit(), 2);
    EXPECT_TRUE(OneLine(node.stderr_text())) << node.stderr_text();
    return node.stderr_text();
  }

  TempDir dir_;
  int base_ = 0;
};

// Issue 12's sequence: node 1 restarted without --cluster became a one-member leader and took
// writes that the majority never saw. Now it refuses, naming both configurations.
TEST_F(RaftDirsTest, RestartWithoutClusterRefusesInsteadOfLeadingAlone) {
  BootstrapWriteAndStop();
  std::unique_ptr<NodeProcess> alone = Node(1, {"--policy", "raft"});
  const std::string err = ExpectRefused(*alone);
  EXPECT_NE(err.find("was bootstrapped as node 1 of raft cluster "), std::string::npos) << err;
  EXPECT_NE(err.find("with members 1,2,3"), std::string::npos) << err;
  EXPECT_NE(err.find("the flags say members 1 (no --cluster)"), std::string::npos) << err;
  EXPECT_NE(err.find("membership changes only through MEMBER ADD/REMOVE"), std::string::npos) << err;
}

TEST_F(RaftDirsTest, RestartWithAnotherMemberListRefuses) {
  BootstrapWriteAndStop();
  std::unique_ptr<NodeProcess> two = Node(1, {"--policy", "raft", "--cluster", Members({1, 2})});
  const std::string err = ExpectRefused(*two);
  EXPECT_NE(err.find("the flags say members 1,2:"), std::string::npos) << err;
  std::unique_ptr<NodeProcess> five = Node(1, {"--policy", "raft", "--cluster", Members({1, 2, 3, 4, 5})});
  EXPECT_NE(ExpectRefused(*five).find("the flags say members 1,2,3,4,5:"), std::string::npos);
}

TEST_F(RaftDirsTest, RestartWithTheSameFlagsServesTheAcknowledgedWrite) {
  BootstrapWriteAndStop();
  std::unique_ptr<NodeProcess> nodes[kNodes];
  for (int id = 1; id <= kNodes; ++id) nodes[id - 1] = Node(id, {"--policy", "raft", "--cluster", Members({1, 2, 3})});
  for (int id = 1; id <= kNodes; ++id) ASSERT_EQ(nodes[id - 1]->WaitReady(), Port(id)) << nodes[id - 1]->stderr_text();
  std::optional<net::RespValue> got = CallUntilServed(Port(1), {"GET", "split"});
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->str, "majority");
}

TEST_F(RaftDirsTest, AnotherIdOnTheSameDataDirRefuses) {
  BootstrapWriteAndStop();
  std::unique_ptr<NodeProcess> other = std::make_unique<NodeProcess>(NodeProcess::Kvlab{
      {"node", "--id", "2", "--port", "0", "--data-dir", Dir(1), "--policy", "raft", "--cluster", Members({1, 2, 3})}});
  EXPECT_NE(ExpectRefused(*other).find("the flags say --id 2"), std::string::npos);
}

// A member that moved keeps its id: allowed, logged, and recorded.
TEST_F(RaftDirsTest, MovedPeerAddressIsAcceptedAndLogged) {
  BootstrapWriteAndStop();
  const int free_base = FreeBasePort(kNodes);
  ASSERT_NE(free_base, 0);
  std::unique_ptr<NodeProcess> moved =
      Node(1, {"--policy", "raft", "--cluster", Members({1, 2, 3}, /*peer_shift=*/free_base - base_)});
  ASSERT_EQ(moved->WaitReady(), Port(1)) << moved->stderr_text();
  moved->Signal(SIGTERM);
  ASSERT_EQ(moved->WaitExit(), 0);
  EXPECT_NE(moved->stderr_text().find("peer address of node 2 changed from 127.0.0.1:"), std::string::npos)
      << moved->stderr_text();
}

TEST_F(RaftDirsTest, ClusterTokenOtherThanTheBootstrapOneRefuses) {
  BootstrapWriteAndStop();
  std::unique_ptr<NodeProcess> node =
      Node(1, {"--policy", "raft", "--cluster", Members({1, 2, 3}), "--cluster-token", "other"});
  EXPECT_NE(ExpectRefused(*node).find("(another --cluster-token)"), std::string::npos);
}

// Issue 12, data safety 3: a single node's dir started as raft showed an empty database.
TEST(DataDirPolicyTest, ChangingPolicyOnADataDirRefusesNamingBoth) {
  TempDir dir;
  const std::string data = dir.path() + "/n1";
  {
    NodeProcess node(data, {"--policy", "single"});
    const int port = node.WaitReady();
    ASSERT_GT(port, 0) << node.stderr_text();
    ASSERT_EQ(testing::RespClient(port).Call({"SET", "k", "v"})->str, "OK");
    node.Signal(SIGTERM);
    ASSERT_EQ(node.WaitExit(), 0);
  }
  NodeProcess raft(data, {"--policy", "raft"});
  EXPECT_EQ(raft.WaitReady(), 0) << "started on a single node's data dir";
  EXPECT_EQ(raft.WaitExit(), 2);
  const std::string& err = raft.stderr_text();
  EXPECT_TRUE(OneLine(err)) << err;
  EXPECT_NE(err.find("bootstrapped as node 1 of single cluster"), std::string::npos) << err;
  EXPECT_NE(err.find("the flags say --policy raft"), std::string::npos) << err;
}

// A dir an older kvlab made has the policy's files and no record: another policy is refused
// from the files alone; the same policy adopts it.
TEST(DataDirPolicyTest, DirWithoutRecordIsJudgedByItsFiles) {
  TempDir dir;
  const std::string data = dir.path() + "/n1";
  {
    NodeProcess node(data, {"--policy", "single"});
    const int port = node.WaitReady();
    ASSERT_GT(port, 0) << node.stderr_text();
    ASSERT_EQ(testing::RespClient(port).Call({"SET", "old", "data"})->str, "OK");
    node.Signal(SIGTERM);
    ASSERT_EQ(node.WaitExit(), 0);
  }
  ASSERT_TRUE(std::filesystem::remove(data + "/" + kMetaFileName));  // as an older kvlab left it.
  NodeProcess raft(data, {"--policy", "raft"});
  EXPECT_EQ(raft.WaitReady(), 0);
  EXPECT_EQ(raft.WaitExit(), 2);
  EXPECT_NE(raft.stderr_text().find("holds single's (wal) files and no record"), std::string::npos)
      << raft.stderr_text();
  EXPECT_NE(raft.stderr_text().find("the flags say --policy raft"), std::string::npos);

  NodeProcess single(data, {"--policy", "single"});
  const int port = single.WaitReady();
  ASSERT_GT(port, 0) << single.stderr_text();
  EXPECT_EQ(testing::RespClient(port).Call({"GET", "old"})->str, "data");
  EXPECT_TRUE(single.WaitOutput("adopted as node 1 of single cluster", 1, /*from_stderr=*/true))
      << single.stderr_text();
  EXPECT_TRUE(std::filesystem::exists(data + "/" + kMetaFileName));
}

TEST(DataDirPolicyTest, CorruptRecordRefusesToStart) {
  TempDir dir;
  const std::string data = dir.path() + "/n1";
  {
    NodeProcess node(data);
    ASSERT_GT(node.WaitReady(), 0) << node.stderr_text();
    node.Signal(SIGTERM);
    ASSERT_EQ(node.WaitExit(), 0);
  }
  std::ofstream(data + "/" + kMetaFileName, std::ios::app) << "member 9 127.0.0.1:1\n";
  NodeProcess node(data);
  EXPECT_EQ(node.WaitReady(), 0);
  EXPECT_EQ(node.WaitExit(), 2);
  EXPECT_NE(node.stderr_text().find("kvlab_meta' is corrupt"), std::string::npos) << node.stderr_text();
}

}  // namespace
}  // namespace kvlab::real
