// Raft membership changes on real processes (issue 12): three `kvlab node --policy raft` processes;
// a fourth starts with --join and is added with MEMBER ADD through a follower; node 1 is SIGKILLed
// and removed with MEMBER REMOVE; the new majority {2,3,4} keeps serving with node 3 down too,
// which it could not if node 4 were not a voter. The data dirs record the change: a restart with
// --cluster naming the new members is accepted, one without --cluster is refused (exit 2), and a
// restart naming the bootstrap members takes the membership from the log and catches up.
// Every wait polls a condition against a deadline.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/real/node_process.h"
#include "tests/real/ports.h"

namespace kvlab::real {
namespace {

using testing::CallUntilServed;
using testing::FreeBasePort;
using testing::kPeerPortOffset;
using testing::NodeProcess;
using testing::RespClient;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 4;  // three bootstrap members and the one that joins.

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeBasePort(kNodes);
    ASSERT_NE(base_, 0);
  }

  int Port(int i) const { return base_ + i; }
  std::string PeerAddress(int i) const { return absl::StrCat("127.0.0.1:", base_ + kPeerPortOffset + i); }
  // --cluster naming the given node indexes.
  std::string Members(const std::vector<int>& indexes) const {
    std::string out;
    for (int i : indexes) absl::StrAppend(&out, out.empty() ? "" : ",", i + 1, "=", PeerAddress(i));
    return out;
  }
  std::string DataDir(int i) const { return absl::StrCat(dir_.path(), "/node-", i + 1); }

  // Starts node index i with the given --cluster (none if empty) and extra flags.
  std::unique_ptr<NodeProcess> Launch(int i, const std::string& cluster, std::vector<std::string> extra = {},
                                      const std::string& policy = "raft") {
    std::vector<std::string> args = {"node",       "--id",     absl::StrCat(i + 1), "--port", absl::StrCat(Port(i)),
                                     "--data-dir", DataDir(i), "--policy",          policy};
    if (!cluster.empty()) {
      args.push_back("--cluster");
      args.push_back(cluster);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<NodeProcess>(NodeProcess::Kvlab{std::move(args)});
  }
  void Start(int i, const std::string& cluster, std::vector<std::string> extra = {},
             const std::string& policy = "raft") {
    nodes_[i] = Launch(i, cluster, std::move(extra), policy);
    ASSERT_EQ(nodes_[i]->WaitReady(), Port(i)) << nodes_[i]->stderr_text();
  }

  // The member ids node i lists (MEMBER LIST), in order.
  std::vector<int64_t> MemberIds(int i) {
    std::vector<int64_t> ids;
    RespClient client(Port(i));
    std::optional<net::RespValue> reply = client.Call({"MEMBER", "LIST"});
    if (!reply || reply->IsError()) return ids;
    for (const net::RespValue& member : reply->elements) {
      if (!member.elements.empty()) ids.push_back(member.elements[0].integer);
    }
    return ids;
  }
  // Polls until node i lists exactly `want`.
  bool WaitMembers(int i, const std::vector<int64_t>& want) {
    const auto deadline = Clock::now() + testing::kDeadline;
    while (Clock::now() < deadline) {
      if (MemberIds(i) == want) return true;
      poll(nullptr, 0, 20);
    }
    return false;
  }
  void ExpectOk(int i, const std::vector<std::string>& args) {
    std::optional<net::RespValue> reply = CallUntilServed(Port(i), args);
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(reply->IsError()) << args[0] << " through node " << i + 1 << ": " << reply->str;
  }
  std::string Get(int i, const std::string& key) {
    std::optional<net::RespValue> reply = CallUntilServed(Port(i), {"GET", key});
    return reply && !reply->IsError() ? reply->str : "<error>";
  }
  // Polls until some node leads and another reports, as Redis replicas do, role:slave with the
  // leader's client port as master_port (INFO replication; kvlab cluster's port layout).
  bool WaitFollowerNamesLeader(const std::vector<int>& alive) {
    const auto deadline = Clock::now() + testing::kDeadline;
    while (Clock::now() < deadline) {
      for (int leader : alive) {
        if (testing::KvlabInfo(Port(leader))["role"] != "leader") continue;
        for (int follower : alive) {
          RespClient client(Port(follower));
          std::optional<net::RespValue> info = client.Call({"INFO", "replication"});
          const std::string want =
              absl::StrCat("role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:", Port(leader), "\r\n");
          if (follower != leader && info && info->str.find(want) != std::string::npos) return true;
        }
      }
      poll(nullptr, 0, 20);
    }
    return false;
  }
  std::string Meta(int i) {
    std::ifstream in(DataDir(i) + "/kvlab_meta");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  TempDir dir_;
  int base_ = 0;
  std::unique_ptr<NodeProcess> nodes_[kNodes];
};

TEST_F(MembershipTest, AddJoinerRemoveDeadMemberAndRestartWithTheNewMembership) {
  const std::string bootstrap = Members({0, 1, 2});
  for (int i = 0; i < 3; ++i) Start(i, bootstrap);
  // Node 4 joins: it has no configuration until the leader sends it the log. It starts before any
  // traffic, so that no peer connection's ephemeral source port can take its free port first.
  Start(3, Members({0, 1, 2, 3}), {"--join"});
  ExpectOk(1, {"SET", "before", "1"});
  EXPECT_TRUE(MemberIds(3).empty());
  ExpectOk(1, {"MEMBER", "ADD", "4", PeerAddress(3)});  // through a follower or the leader.
  ASSERT_TRUE(WaitMembers(3, {1, 2, 3, 4})) << nodes_[3]->stderr_text();
  EXPECT_TRUE(nodes_[3]->WaitOutput("membership is now 1,2,3,4", 1, true));
  EXPECT_TRUE(WaitFollowerNamesLeader({0, 1, 2, 3}));

  // Node 1 dies and is removed; the new majority of {2,3,4} serves without node 3 as well.
  nodes_[0]->Signal(SIGKILL);
  ExpectOk(2, {"MEMBER", "REMOVE", "1"});
  for (int i = 1; i < kNodes; ++i) ASSERT_TRUE(WaitMembers(i, {2, 3, 4})) << "node " << i + 1;
  nodes_[2]->Signal(SIGKILL);
  ExpectOk(3, {"SET", "after", "2"});
  EXPECT_EQ(Get(1, "before"), "1");
  EXPECT_NE(Meta(1).find("bootstrap 1,2,3"), std::string::npos) << Meta(1);

  // Restarts: the new membership is accepted; no --cluster is refused; the bootstrap members are
  // accepted and the membership comes from the log, with the writes made meanwhile.
  nodes_[2]->WaitExit();
  std::unique_ptr<NodeProcess> bare = Launch(2, "");
  EXPECT_EQ(bare->WaitExit(), 2);
  EXPECT_NE(bare->stderr_text().find("MEMBER ADD/REMOVE"), std::string::npos) << bare->stderr_text();
  Start(2, bootstrap);
  ASSERT_TRUE(WaitMembers(2, {2, 3, 4}));
  nodes_[1]->Signal(SIGKILL);
  nodes_[1]->WaitExit();
  Start(1, Members({1, 2, 3}));
  EXPECT_EQ(Get(2, "after"), "2");
  ExpectOk(1, {"SET", "restarted", "3"});
}

TEST_F(MembershipTest, FixedMembershipPoliciesAndBadArgumentsAreRefused) {
  Start(0, "", {}, "single");
  RespClient client(Port(0));
  std::optional<net::RespValue> reply = client.Call({"MEMBER", "ADD", "2", "127.0.0.1:1"});
  ASSERT_TRUE(reply && reply->IsError());
  EXPECT_NE(reply->str.find("fixed membership"), std::string::npos) << reply->str;
  reply = client.Call({"MEMBER", "ADD"});
  ASSERT_TRUE(reply && reply->IsError());
  EXPECT_NE(reply->str.find("usage: MEMBER"), std::string::npos) << reply->str;
}

}  // namespace
}  // namespace kvlab::real
