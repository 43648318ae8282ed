// Primary-backup (pb.mode=sync) and chain replication on real sockets under member crashes
// (issue 14): three `kvlab node --durability fsync` processes on 127.0.0.1, one client writing
// through any live node. The primary (head) is SIGKILLed, writes go on until a new view serves,
// the killed member restarts on its data dir and catches up by state transfer; for chain the
// member in the middle of the new chain is killed and restarted too. Then every acknowledged
// write is read back at every node (a read at a node that is not the read server is forwarded
// to it; the restarted chain member is the tail, so it answers from its own state), and the
// restarted members' logs reach the primary's. Every wait polls against a deadline.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/real/node_process.h"
#include "tests/real/ports.h"

namespace kvlab::real {
namespace {

using testing::FreeBasePort;
using testing::InfoField;
using testing::kPeerPortOffset;
using testing::NodeProcess;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 3;
constexpr int kWritesPerPhase = 40;
constexpr auto kPollInterval = std::chrono::milliseconds(20);
// Each phase (a view change, a catch-up) must finish within this: the whole test stays < 20 s.
constexpr auto kPhaseDeadline = std::chrono::seconds(8);

void PollPause() { poll(nullptr, 0, static_cast<int>(kPollInterval.count())); }

struct PolicyCase {
  const char* name;
  std::vector<std::string> args;  // --policy and --param flags.
  const char* head_role;          // INFO kvlab_role of the node that takes writes.
};

class ViewFailoverTest : public ::testing::TestWithParam<PolicyCase> {
 protected:
  void SetUp() override {
    base_ = FreeBasePort(kNodes);
    ASSERT_NE(base_, 0);
    for (int i = 0; i < kNodes; ++i) {
      absl::StrAppend(&members_, i > 0 ? "," : "", i + 1, "=127.0.0.1:", base_ + kPeerPortOffset + i);
    }
    for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(StartNode(i));
  }

  bool StartNode(int i) {
    std::vector<std::string> args = {"node",
                                     "--id",
                                     absl::StrCat(i + 1),
                                     "--port",
                                     absl::StrCat(Port(i)),
                                     "--data-dir",
                                     absl::StrCat(dir_.path(), "/node-", i + 1),
                                     "--durability",
                                     "fsync",
                                     "--cluster",
                                     members_};
    args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
    nodes_[i] = std::make_unique<NodeProcess>(NodeProcess::Kvlab{args});
    down_[i] = false;
    return nodes_[i]->WaitReady() == Port(i);
  }
  void Kill(int i) {
    nodes_[i]->Signal(SIGKILL);
    EXPECT_EQ(nodes_[i]->WaitExit(), 128 + SIGKILL);
    down_[i] = true;
  }
  int Port(int i) const { return base_ + i; }

  // The live node that reports the head role in an epoch above `min_epoch`, or -1 at the deadline.
  int WaitHead(uint64_t min_epoch) {
    const auto deadline = Clock::now() + kPhaseDeadline;
    while (Clock::now() < deadline) {
      for (int i = 0; i < kNodes; ++i) {
        if (down_[i]) continue;
        const auto info = testing::KvlabInfo(Port(i));
        if (info.count("role") && info.at("role") == GetParam().head_role && InfoField(info, "epoch") > min_epoch)
          return i;
      }
      PollPause();
    }
    return -1;
  }

  // Writes keys [from, to) through the live nodes in turn, each until acknowledged (a node that
  // cannot reach a serving primary answers an error: the next node is tried). False at the deadline.
  bool WriteRange(int from, int to) {
    const auto deadline = Clock::now() + kPhaseDeadline;
    int at = 0;
    for (int k = from; k < to; ++k) {
      const std::string key = absl::StrCat("key-", k), value = absl::StrCat("value-", k);
      for (;;) {
        if (Clock::now() > deadline) return false;
        at = (at + 1) % kNodes;
        if (down_[at]) continue;
        testing::RespClient client(Port(at));
        std::optional<net::RespValue> r = client.connected() ? client.Call({"SET", key, value}) : std::nullopt;
        if (r && !r->IsError() && r->str == "OK") break;
        PollPause();
      }
      acked_[key] = value;
    }
    return true;
  }

  // Every acknowledged write, read at node i (retried until it answers, within the deadline).
  std::vector<std::string> MissingAt(int i) {
    std::vector<std::string> missing;
    const auto deadline = Clock::now() + kPhaseDeadline;
    for (const auto& [key, value] : acked_) {
      std::optional<net::RespValue> r;
      while (Clock::now() < deadline) {
        testing::RespClient client(Port(i));
        if (client.connected()) r = client.Call({"GET", key});
        if (r && !r->IsError()) break;
        PollPause();
      }
      if (!r || r->IsError() || r->str != value) missing.push_back(key);
    }
    return missing;
  }

  // Polls until node i holds as much of the log as the head (its state transfer is done).
  bool CaughtUp(int i, int head) {
    const auto deadline = Clock::now() + kPhaseDeadline;
    while (Clock::now() < deadline) {
      const uint64_t lsn = InfoField(testing::KvlabInfo(Port(head)), "last_lsn");
      if (lsn > 0 && InfoField(testing::KvlabInfo(Port(i)), "last_lsn") == lsn) return true;
      PollPause();
    }
    return false;
  }

  TempDir dir_;
  int base_ = 0;
  std::string members_;
  std::unique_ptr<NodeProcess> nodes_[kNodes];
  bool down_[kNodes] = {};
  std::map<std::string, std::string> acked_;
};

TEST_P(ViewFailoverTest, KilledMembersRejoinByStateTransferAndNoAcknowledgedWriteIsLost) {
  const auto start = Clock::now();
  const int head = WaitHead(0);
  ASSERT_GE(head, 0) << "no first view";
  ASSERT_TRUE(WriteRange(0, kWritesPerPhase));
  const uint64_t epoch = InfoField(testing::KvlabInfo(Port(head)), "epoch");

  Kill(head);
  ASSERT_TRUE(WriteRange(kWritesPerPhase, 2 * kWritesPerPhase)) << "no new view served writes";
  const int next = WaitHead(epoch);
  ASSERT_GE(next, 0);
  ASSERT_NE(next, head);
  ASSERT_TRUE(StartNode(head)) << nodes_[head]->stderr_text();
  ASSERT_TRUE(WriteRange(2 * kWritesPerPhase, 3 * kWritesPerPhase));
  EXPECT_TRUE(CaughtUp(head, next)) << "the restarted primary did not catch up";

  int killed_middle = -1;
  if (std::string(GetParam().name) == "chain") {
    // The chain is now next -> survivor -> restarted head: the survivor is its middle.
    for (int i = 0; i < kNodes; ++i) {
      if (testing::KvlabInfo(Port(i))["role"] == "middle") killed_middle = i;
    }
    ASSERT_GE(killed_middle, 0) << "no middle member";
    const uint64_t e = InfoField(testing::KvlabInfo(Port(next)), "epoch");
    Kill(killed_middle);
    ASSERT_TRUE(WriteRange(3 * kWritesPerPhase, 4 * kWritesPerPhase)) << "no write after the middle's failure";
    EXPECT_GE(WaitHead(e), 0);
    ASSERT_TRUE(StartNode(killed_middle)) << nodes_[killed_middle]->stderr_text();
    ASSERT_TRUE(WriteRange(4 * kWritesPerPhase, 5 * kWritesPerPhase));
    EXPECT_TRUE(CaughtUp(killed_middle, next)) << "the restarted middle did not catch up";
  }

  for (int i = 0; i < kNodes; ++i) {
    const std::vector<std::string> missing = MissingAt(i);
    EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged writes not read at node " << i + 1 << ", e.g. "
                                 << missing.front();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s: %zu acknowledged writes, primary %d -> %d%s, %.1f s\n", GetParam().name, acked_.size(), head + 1,
              next + 1, killed_middle >= 0 ? absl::StrCat(", middle ", killed_middle + 1, " killed").c_str() : "",
              seconds);
}

INSTANTIATE_TEST_SUITE_P(
    Policies, ViewFailoverTest,
    ::testing::Values(PolicyCase{"pb_sync", {"--policy", "pb", "--param", "pb.mode=sync"}, "primary"},
                      PolicyCase{"chain", {"--policy", "chain"}, "head"}),
    [](const ::testing::TestParamInfo<PolicyCase>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace kvlab::real
