// `kvlab cluster`: the local launcher starts node processes, forwards SIGTERM to them and exits
// once every one of them has; a raft cluster's nodes talk over their peer ports (net::PeerLink).
#include <signal.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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
  EXPECT_NE(launcher.stderr_text().find("policy single runs exactly one node"), std::string::npos)
      << launcher.stderr_text();
  EXPECT_EQ(launcher.stderr_text().find('\n'), launcher.stderr_text().size() - 1) << "one line";
}

TEST(ClusterTest, UnknownPolicyIsAUsageError) {
  TempDir dir;
  NodeProcess launcher(NodeProcess::Kvlab{{"cluster", "--nodes", "1", "--policy", "paxos", "--data-dir", dir.path()}});
  EXPECT_EQ(launcher.WaitExit(), 2);
  EXPECT_NE(launcher.stderr_text().find("unknown --policy 'paxos'"), std::string::npos) << launcher.stderr_text();
}

// End to end over net::PeerLink: raft elects a leader and replicates through the peer ports, so a
// write through one node is read back through another.
TEST(ClusterTest, RaftClusterOfThreeReplicatesOverPeerPorts) {
  TempDir dir;
  const int base = FreeBasePort(3);
  ASSERT_NE(base, 0);
  NodeProcess launcher(NodeProcess::Kvlab{{"cluster", "--nodes", "3", "--policy", "raft", "--base-port",
                                           std::to_string(base), "--data-dir", dir.path() + "/c", "--durability",
                                           "none"}});
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

}  // namespace
}  // namespace kvlab::real
