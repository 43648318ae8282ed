// `kvlab cluster`: the local launcher starts node processes, forwards SIGTERM to them and exits
// once every one of them has; a raft cluster's nodes talk over their peer ports (net::PeerLink).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/assert.h"
#include "net/tcp.h"
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

// The pids the launcher reported on stderr ("kvlab cluster: node I pid P").
std::vector<pid_t> NodePids(const std::string& stderr_text) {
  std::vector<pid_t> pids;
  for (size_t at = stderr_text.find(" pid "); at != std::string::npos; at = stderr_text.find(" pid ", at + 1)) {
    pids.push_back(static_cast<pid_t>(std::atoi(stderr_text.c_str() + at + 5)));
  }
  return pids;
}

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

TEST(ClusterTest, OneSingleNodeServesAndEveryChildExitsOnSigterm) {
  TempDir dir;
  const int base = FreeBasePort(1);
  ASSERT_NE(base, 0);
  NodeProcess launcher(NodeProcess::Kvlab{{"cluster", "--nodes", "1", "--policy", "single", "--base-port",
                                           std::to_string(base), "--data-dir", dir.path() + "/c"}});
  ASSERT_TRUE(launcher.WaitOutput("listening on 127.0.0.1:" + std::to_string(base)));
  ASSERT_TRUE(launcher.WaitOutput(" pid ", 1, /*from_stderr=*/true));
  const std::vector<pid_t> pids = NodePids(launcher.stderr_text());
  ASSERT_EQ(pids.size(), 1u);

  RespClient client(base);
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.Call({"SET", "k", "v"})->str, "OK");
  EXPECT_EQ(client.Call({"GET", "k"})->str, "v");

  launcher.Signal(SIGTERM);
  EXPECT_EQ(launcher.WaitExit(), 0);
  for (pid_t pid : pids) EXPECT_TRUE(ProcessGone(pid)) << "node pid " << pid << " outlived the launcher";
  EXPECT_TRUE(client.ClosedByServer());
}

TEST(ClusterTest, SinglePolicyWithSeveralNodesIsAUsageError) {
  TempDir dir;
  NodeProcess launcher(NodeProcess::Kvlab{{"cluster", "--nodes", "3", "--policy", "single", "--data-dir", dir.path()}});
  EXPECT_EQ(launcher.WaitExit(), 2);
  EXPECT_NE(launcher.stderr_text().find("policy 'single' runs on 1..1 nodes, not 3"), std::string::npos)
      << launcher.stderr_text();
  EXPECT_EQ(launcher.stderr_text().find('\n'), launcher.stderr_text().size() - 1) << "one line";
}

TEST(ClusterTest, UnknownPolicyIsAUsageError) {
  TempDir dir;
  NodeProcess launcher(NodeProcess::Kvlab{{"cluster", "--nodes", "1", "--policy", "paxos", "--data-dir", dir.path()}});
  EXPECT_EQ(launcher.WaitExit(), 2);
  EXPECT_NE(launcher.stderr_text().find("unknown policy 'paxos' (known: "), std::string::npos)
      << launcher.stderr_text();
}

// End to end over net::PeerLink: raft elects a leader and replicates through the peer ports, so a
// write through one node is read back through another.
TEST(ClusterTest, RaftClusterOfThreeReplicatesOverPeerPorts) {
  TempDir dir;
  const int base = FreeBasePort(3);
  ASSERT_NE(base, 0);
  NodeProcess launcher(
      NodeProcess::Kvlab{{"cluster", "--nodes", "3", "--policy", "raft", "--base-port", std::to_string(base),
                          "--data-dir", dir.path() + "/c", "--durability", "none"}});
  ASSERT_TRUE(launcher.WaitOutput("listening on 127.0.0.1:", 3)) << launcher.stderr_text();
  ASSERT_TRUE(launcher.WaitOutput(" pid ", 3, /*from_stderr=*/true));
  const std::vector<pid_t> pids = NodePids(launcher.stderr_text());

  std::optional<net::RespValue> set = CallUntilServed(base, {"SET", "replicated", "yes"});
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->str, "OK");
  for (int i = 0; i < 3; ++i) {
    std::optional<net::RespValue> got = CallUntilServed(base + i, {"GET", "replicated"});
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->str, "yes") << "node " << i + 1;
  }

  launcher.Signal(SIGTERM);
  EXPECT_EQ(launcher.WaitExit(), 0);
  for (pid_t pid : pids) EXPECT_TRUE(ProcessGone(pid));
}

// The defaults (but the port: 6380 may be taken on a shared machine) start a working 3-node raft
// cluster with its data under ./kvlab-data.
TEST(ClusterTest, DefaultsStartAThreeNodeRaftClusterInKvlabData) {
  TempDir dir;
  const int base = FreeBasePort(3);
  ASSERT_NE(base, 0);
  NodeProcess launcher(NodeProcess::Kvlab{{"cluster", "--base-port", std::to_string(base)}, dir.path()});
  ASSERT_TRUE(launcher.WaitOutput("listening on 127.0.0.1:", 3)) << launcher.stderr_text();
  EXPECT_NE(launcher.stdout_text().find("policy raft"), std::string::npos) << launcher.stdout_text();
  std::optional<net::RespValue> set = CallUntilServed(base, {"SET", "defaults", "work"});
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->str, "OK");
  std::optional<net::RespValue> got = CallUntilServed(base + 2, {"GET", "defaults"});
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->str, "work");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/kvlab-data/node-" + std::to_string(i) + "/kvlab_meta"));
  }
  launcher.Signal(SIGTERM);
  EXPECT_EQ(launcher.WaitExit(), 0) << launcher.stderr_text();
}

TEST(ClusterTest, HelpShowsTheDefaultsAndThePeerPortRule) {
  std::string help;
  ASSERT_EQ(testing::RunShell(std::string(KVLAB_BINARY) + " cluster --help", &help), 0);
  for (const char* want : {"--nodes INT=3", "(default: raft;", "--base-port INT=6380", "--data-dir TEXT=kvlab-data",
                           "its peer port: that + 1000", "3-node raft cluster on client ports 6380..6382"}) {
    EXPECT_NE(help.find(want), std::string::npos) << want << " in:\n" << help;
  }
}

// Issue 12: `kvlab cluster` relaunched on the same --data-dir with another --nodes. Each node that
// holds a data dir of the 3-node cluster refuses it; the launcher names them, with their reason,
// and as the two new nodes are no majority of five, stops them and exits non-zero.
TEST(ClusterTest, RelaunchWithAnotherNodeCountRefusesNamingTheNodesAndWhy) {
  TempDir dir;
  const int base = FreeBasePort(5);
  ASSERT_NE(base, 0);
  const std::vector<std::string> flags = {"cluster",         "--policy",           "raft",
                                          "--base-port",     std::to_string(base), "--data-dir",
                                          dir.path() + "/c", "--durability",       "none"};
  {
    std::vector<std::string> three = flags;
    three.insert(three.end(), {"--nodes", "3"});
    NodeProcess launcher(NodeProcess::Kvlab{three});
    ASSERT_TRUE(launcher.WaitOutput("listening on 127.0.0.1:", 3)) << launcher.stderr_text();
    ASSERT_EQ(CallUntilServed(base, {"SET", "k", "v"})->str, "OK");
    launcher.Signal(SIGTERM);
    ASSERT_EQ(launcher.WaitExit(), 0) << launcher.stderr_text();
  }
  std::vector<std::string> five = flags;
  five.insert(five.end(), {"--nodes", "5"});
  NodeProcess relaunched(NodeProcess::Kvlab{five});
  EXPECT_EQ(relaunched.WaitExit(), 2);
  const std::string& err = relaunched.stderr_text();
  for (int id = 1; id <= 3; ++id) {
    EXPECT_NE(err.find("kvlab cluster: node " + std::to_string(id) + " (pid "), std::string::npos) << err;
  }
  EXPECT_NE(err.find(") exited with code 2: kvlab node 1: data dir "), std::string::npos) << err;
  EXPECT_NE(err.find("the flags say members 1,2,3,4,5: refusing to start"), std::string::npos) << err;
  EXPECT_NE(err.find("2 of 5 nodes left, fewer than the 3 the cluster needs to serve: stopping"), std::string::npos)
      << err;
}

TEST(ClusterTest, DeadNodeIsNamedAndWithoutAMajorityTheLauncherStops) {
  TempDir dir;
  const int base = FreeBasePort(3);
  ASSERT_NE(base, 0);
  NodeProcess launcher(
      NodeProcess::Kvlab{{"cluster", "--nodes", "3", "--policy", "raft", "--base-port", std::to_string(base),
                          "--data-dir", dir.path() + "/c", "--durability", "none"}});
  ASSERT_TRUE(launcher.WaitOutput("listening on 127.0.0.1:", 3)) << launcher.stderr_text();
  ASSERT_TRUE(launcher.WaitOutput(" pid ", 3, /*from_stderr=*/true));
  const std::vector<pid_t> pids = NodePids(launcher.stderr_text());
  ASSERT_EQ(pids.size(), 3u);
  kill(pids[2], SIGKILL);
  ASSERT_TRUE(launcher.WaitOutput("kvlab cluster: node 3 (pid " + std::to_string(pids[2]) + ") was killed by signal 9",
                                  1, /*from_stderr=*/true))
      << launcher.stderr_text();
  // Two of three still serve.
  EXPECT_EQ(CallUntilServed(base, {"SET", "k", "v"})->str, "OK");
  kill(pids[1], SIGKILL);
  EXPECT_EQ(launcher.WaitExit(), 1);
  EXPECT_NE(launcher.stderr_text().find("1 of 3 nodes left, fewer than the 2 the cluster needs to serve"),
            std::string::npos)
      << launcher.stderr_text();
  EXPECT_TRUE(ProcessGone(pids[0]));
}

}  // namespace
}  // namespace kvlab::real
