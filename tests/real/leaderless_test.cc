// Leaderless policies on real sockets (issue 13): `kvlab node` processes of quorum (5 nodes, N=3)
// or abd (3 nodes) on 127.0.0.1. Writes through one node are read through another; one node is
// SIGKILLed and every write and read through the others still succeeds at its first attempt (no
// leader, no election: nothing to wait for); the node restarts on its data dir and, for quorum,
// anti-entropy brings its replica up to date before anything is read through it (the writes'
// coordinator restarts first, dropping the stores it queued for the dead node; the victim's WAL
// then gains a record for every key it replicates; then, restarted with quorum.r=1, its GETs answer from its own
// replica first and find nothing to read-repair); no acknowledged write is lost. Every wait polls a
// condition against a deadline.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/quorum/ring.h"
#include "tests/real/node_process.h"
#include "tests/real/ports.h"

namespace kvlab::real {
namespace {

using testing::FreeBasePort;
using testing::kPeerPortOffset;
using testing::NodeProcess;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr int kKeys = 40;

struct Setup {
  std::string policy;
  int nodes;
};

class LeaderlessTest : public ::testing::TestWithParam<Setup> {
 protected:
  void SetUp() override {
    base_ = FreeBasePort(nodes());
    ASSERT_NE(base_, 0);
    for (int i = 0; i < nodes(); ++i) {
      absl::StrAppend(&members_, i > 0 ? "," : "", i + 1, "=127.0.0.1:", base_ + kPeerPortOffset + i);
    }
    procs_.resize(nodes());
    for (int i = 0; i < nodes(); ++i) ASSERT_TRUE(StartNode(i, {})) << procs_[i]->stderr_text();
  }
  int nodes() const { return GetParam().nodes; }
  int Port(int i) const { return base_ + i; }
  // The node SIGKILLed: the last one, so the writer (0) and the reader (1) stay up.
  int victim() const { return nodes() - 1; }

  // The keys node `i` replicates (quorum: its preference lists, as the nodes compute them).
  int KeysReplicatedBy(int i) const {
    std::vector<core::NodeId> members;
    for (int m = 1; m <= nodes(); ++m) members.push_back(static_cast<core::NodeId>(m));
    const core::Ring ring(members, 3);
    int count = 0;
    for (int k = 0; k < kKeys; ++k) {
      const std::vector<core::NodeId> replicas = ring.PreferenceList(Key(k));
      count += std::find(replicas.begin(), replicas.end(), static_cast<core::NodeId>(i + 1)) != replicas.end();
    }
    return count;
  }

  bool StartNode(int i, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"node",
                                     "--id",
                                     absl::StrCat(i + 1),
                                     "--port",
                                     absl::StrCat(Port(i)),
                                     "--data-dir",
                                     absl::StrCat(dir_.path(), "/node-", i + 1),
                                     "--policy",
                                     GetParam().policy,
                                     "--durability",
                                     "fsync",
                                     "--cluster",
                                     members_};
    args.insert(args.end(), extra.begin(), extra.end());
    procs_[i] = std::make_unique<NodeProcess>(NodeProcess::Kvlab{args});
    return procs_[i]->WaitReady() == Port(i);
  }

  // One command through node i: its reply as text ("OK", the value, "(nil)"), or "ERR: ...".
  std::string Call(int i, const std::vector<std::string>& cmd) {
    testing::RespClient client(Port(i));
    if (!client.connected()) return "ERR: not connected";
    std::optional<net::RespValue> reply = client.Call(cmd);
    if (!reply) return "ERR: no reply";
    if (reply->IsError()) return "ERR: " + reply->str;
    if (reply->type == net::RespValue::Type::kNil) return "(nil)";
    return reply->str;
  }

  // Polls `cond` until it holds or the deadline passes.
  template <typename F>
  bool Eventually(F cond) {
    const auto deadline = Clock::now() + testing::kDeadline;
    while (Clock::now() < deadline) {
      if (cond()) return true;
      poll(nullptr, 0, 20);
    }
    return false;
  }

  static std::string Key(int k) { return absl::StrCat("k", k); }
  // The kvlab_* fields of node i's INFO replication (prefix stripped).
  std::map<std::string, std::string> Info(int i) const { return testing::KvlabInfo(Port(i)); }

  TempDir dir_;
  int base_ = 0;
  std::string members_;
  std::vector<std::unique_ptr<NodeProcess>> procs_;
};

TEST_P(LeaderlessTest, ServesThroughAKilledNodeWithoutPauseAndRepairsItAfterRestart) {
  const int writer = 0, reader = 1;
  // The peers connect in the background: the first write may have to wait for them.
  ASSERT_TRUE(Eventually([&] { return Call(writer, {"SET", Key(0), "v1-0"}) == "OK"; }));
  for (int k = 1; k < kKeys; ++k) ASSERT_EQ(Call(writer, {"SET", Key(k), absl::StrCat("v1-", k)}), "OK") << k;
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(Call(reader, {"GET", Key(k)}), absl::StrCat("v1-", k)) << k;

  procs_[victim()]->Signal(SIGKILL);
  EXPECT_EQ(procs_[victim()]->WaitExit(), 128 + SIGKILL);
  // Leaderless: every op through the live nodes succeeds at once, no retry.
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_EQ(Call(reader, {"SET", Key(k), absl::StrCat("v2-", k)}), "OK") << k;
    EXPECT_EQ(Call(writer, {"GET", Key(k)}), absl::StrCat("v2-", k)) << k;
  }

  if (GetParam().policy == "quorum") {
    // The v2 writes' stores for the victim wait in their coordinator's peer link (net/peer_link.h
    // queues for a peer that is down) and would reach it on its return. Once every op has ended,
    // the coordinator restarts (its WAL has every write; its queues are gone), so that nothing but
    // anti-entropy can bring the victim what it missed.
    EXPECT_TRUE(Eventually([&] {
      for (int i = 0; i < nodes(); ++i) {
        if (i != victim() && testing::InfoField(Info(i), "pending_ops") != 0) return false;
      }
      return true;
    }));
    procs_[reader]->Signal(SIGKILL);
    EXPECT_EQ(procs_[reader]->WaitExit(), 128 + SIGKILL);
    ASSERT_TRUE(StartNode(reader, {})) << procs_[reader]->stderr_text();
  }
  // Restarted (for quorum with R=1: its GETs answer from its own replica first).
  std::vector<std::string> extra;
  if (GetParam().policy == "quorum") extra = {"--param", "quorum.r=1"};
  ASSERT_TRUE(StartNode(victim(), extra)) << procs_[victim()]->stderr_text();
  if (GetParam().policy == "quorum") {
    // Nothing is read through the restarted node until anti-entropy has stored every v2 it
    // replicates (one WAL record each since the restart), so no read repair can be what fixed it.
    const uint64_t missed = static_cast<uint64_t>(KeysReplicatedBy(victim()));
    ASSERT_GT(missed, 0u);
    EXPECT_TRUE(Eventually([&] { return testing::InfoField(Info(victim()), "wal_records") >= missed; }))
        << "anti-entropy never repaired the restarted node's " << missed << " keys";
  } else {
    // abd: the restarted node serves once its peer links are up again; its reads query a majority.
    ASSERT_TRUE(Eventually([&] { return Call(victim(), {"GET", Key(0)}) == "v2-0"; }));
  }
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(Call(victim(), {"GET", Key(k)}), absl::StrCat("v2-", k)) << k;
  if (GetParam().policy == "quorum") {
    EXPECT_EQ(testing::InfoField(Info(victim()), "read_repairs"), 0u) << "a GET found a stale replica";
  }
  // No acknowledged write lost: every node answers the last one.
  for (int i = 0; i < nodes(); ++i) {
    for (int k = 0; k < kKeys; ++k) EXPECT_EQ(Call(i, {"GET", Key(k)}), absl::StrCat("v2-", k)) << i << " " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, LeaderlessTest, ::testing::Values(Setup{"quorum", 5}, Setup{"abd", 3}),
                         [](const ::testing::TestParamInfo<Setup>& info) { return info.param.policy; });

}  // namespace
}  // namespace kvlab::real
