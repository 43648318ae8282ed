// Raft on real sockets under a leader crash (issue 5): three `kvlab node --policy raft --durability
// fsync` processes on 127.0.0.1, the mixed scenario through the real bench driver (RunBench, on its
// own thread) against all three, the leader SIGKILLed mid-run and restarted on the same data dir.
// Afterwards: the history (with a final read of every written key) is linearizable, no acknowledged
// write is lost, a new leader with a higher term served while the old one was down, and the
// restarted node catches up. Every wait polls a condition against a deadline.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/assert.h"
#include "net/tcp.h"
#include "real/bench_run.h"
#include "tests/real/node_process.h"
#include "tests/real/ports.h"
#include "workloads/scenario.h"

namespace kvlab::real {
namespace {

using testing::FreeBasePort;
using testing::InfoField;
using testing::kPeerPortOffset;
using testing::NodeProcess;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 3;
constexpr auto kPollInterval = std::chrono::milliseconds(20);  // between two polls of a condition.

void PollPause() { poll(nullptr, 0, static_cast<int>(kPollInterval.count())); }

class RaftFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeBasePort(kNodes);
    ASSERT_NE(base_, 0);
    for (int i = 0; i < kNodes; ++i) {
      absl::StrAppend(&members_, i > 0 ? "," : "", i + 1, "=127.0.0.1:", base_ + kPeerPortOffset + i);
    }
    for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(StartNode(i));
  }

  // Starts node index i (id i+1) on its fixed ports and data dir; true once it listens.
  bool StartNode(int i) {
    nodes_[i] = std::make_unique<NodeProcess>(
        NodeProcess::Kvlab{{"node", "--id", absl::StrCat(i + 1), "--port", absl::StrCat(Port(i)), "--data-dir",
                            absl::StrCat(dir_.path(), "/node-", i + 1), "--policy", "raft", "--durability", "fsync",
                            "--cluster", members_}});
    return nodes_[i]->WaitReady() == Port(i);
  }
  int Port(int i) const { return base_ + i; }

  // Polls until a node other than `except` reports itself leader with a term above `min_term`.
  // Returns its index, or -1 at the deadline.
  int WaitLeader(int except, uint64_t min_term) {
    const auto deadline = Clock::now() + testing::kDeadline;
    while (Clock::now() < deadline) {
      for (int i = 0; i < kNodes; ++i) {
        if (i == except) continue;
        const auto info = testing::KvlabInfo(Port(i));
        if (info.count("role") && info.at("role") == "leader" && InfoField(info, "term") > min_term) return i;
      }
      PollPause();
    }
    return -1;
  }

  TempDir dir_;
  int base_ = 0;
  std::string members_;
  std::unique_ptr<NodeProcess> nodes_[kNodes];
};

workloads::Scenario FailoverMixed() {
  workloads::Scenario s = *workloads::FindScenario("mixed");
  s.keys = 200;
  s.clients = 10;
  // Enough operations to span the crash, the election and (usually) the restart, however slow the
  // machine: the crash comes after a fixed number of writes, not after a time.
  s.ops = 6000;
  s.duration = core::Seconds(20);  // a cap only.
  s.request_timeout = core::Seconds(3);
  return s;
}

// The read-back (client id `reader`) of every key must return the value of the key's last
// acknowledged write or of a write not finished before that one began: an acknowledged write is
// never lost. Returns the offending keys.
std::vector<std::string> LostWrites(const std::vector<workloads::HistoryOp>& history, int reader) {
  std::map<std::string, const workloads::HistoryOp*> last_acked, final_read;
  for (const workloads::HistoryOp& op : history) {
    if (op.client == reader && op.op == "get") final_read[op.key] = &op;
    if (op.op != "put" || op.result != workloads::OpResult::kOk) continue;
    const workloads::HistoryOp*& last = last_acked[op.key];
    if (last == nullptr || op.complete_ns > last->complete_ns) last = &op;
  }
  std::vector<std::string> lost;
  for (const auto& [key, acked] : last_acked) {
    auto read = final_read.find(key);
    bool ok = false;
    for (const workloads::HistoryOp& op : history) {
      if (read == final_read.end() || op.op != "put" || op.key != key || op.result == workloads::OpResult::kFail) {
        continue;
      }
      const bool not_overtaken = op.result == workloads::OpResult::kUnknown || op.complete_ns >= acked->invoke_ns;
      if (not_overtaken && op.value == read->second->value) ok = true;
    }
    if (!ok) lost.push_back(key);
  }
  return lost;
}

TEST_F(RaftFailoverTest, LeaderKilledMidRunLosesNoAcknowledgedWriteAndCatchesUpAfterRestart) {
  const int old_leader = WaitLeader(-1, 0);
  ASSERT_GE(old_leader, 0) << "no leader elected";
  const uint64_t old_term = InfoField(testing::KvlabInfo(Port(old_leader)), "term");

  const workloads::Scenario scenario = FailoverMixed();
  BenchOptions options;
  options.scenario = scenario;
  for (int i = 0; i < kNodes; ++i) options.targets.push_back(Target{"127.0.0.1", Port(i)});
  options.label = "kvlab-raft";
  std::optional<absl::StatusOr<BenchOutcome>> outcome;
  std::atomic<bool> bench_done{false};
  std::thread bench([&] {
    outcome = RunBench(options);
    bench_done = true;
  });

  // Mid-run: the preload (one write per key) is applied and the measured run has written more.
  const uint64_t mid_run = scenario.keys + 150;
  const auto deadline = Clock::now() + testing::kDeadline;
  while (InfoField(testing::KvlabInfo(Port(old_leader)), "applied_index") < mid_run && !bench_done &&
         Clock::now() < deadline) {
    PollPause();
  }
  EXPECT_FALSE(bench_done) << "the run ended before the crash";
  nodes_[old_leader]->Signal(SIGKILL);
  EXPECT_EQ(nodes_[old_leader]->WaitExit(), 128 + SIGKILL);

  const int new_leader = WaitLeader(old_leader, old_term);
  EXPECT_GE(new_leader, 0) << "no new leader while node " << old_leader + 1 << " was down";
  EXPECT_TRUE(StartNode(old_leader)) << "restart on the same data dir failed: " << nodes_[old_leader]->stderr_text();
  const bool restarted_mid_run = !bench_done;

  bench.join();
  ASSERT_TRUE(outcome.has_value() && outcome->ok()) << (outcome ? outcome->status().ToString() : "");
  const BenchOutcome& out = **outcome;
  EXPECT_TRUE(out.problems.empty()) << out.problems.front();
  ASSERT_TRUE(out.report.check.has_value());
  EXPECT_TRUE(out.report.check->ok) << out.check_details;
  EXPECT_GT(out.report.ops, scenario.keys);
  size_t unknown = 0, acked_puts = 0;
  for (const workloads::HistoryOp& op : out.history) {
    unknown += op.result == workloads::OpResult::kUnknown ? 1 : 0;
    acked_puts += op.op == "put" && op.result == workloads::OpResult::kOk ? 1 : 0;
  }
  std::printf(
      "failover run: %lu ops, %lu errors, %zu unknown, %zu acknowledged puts, leader %d -> %d, "
      "restarted %s\n",
      static_cast<unsigned long>(out.report.ops), static_cast<unsigned long>(out.report.errors), unknown, acked_puts,
      old_leader + 1, new_leader + 1, restarted_mid_run ? "mid-run" : "after the run");
  const std::vector<std::string> lost = LostWrites(out.history, scenario.clients);
  EXPECT_TRUE(lost.empty()) << lost.size() << " keys lost an acknowledged write, e.g. " << lost.front();

  // Catch-up: with the load over, the restarted node applies everything the leader committed.
  ASSERT_GE(new_leader, 0);
  const int leader = WaitLeader(-1, old_term);
  ASSERT_GE(leader, 0);
  uint64_t commit = 0, applied = 0;
  const auto catch_up_deadline = Clock::now() + testing::kDeadline;
  while (Clock::now() < catch_up_deadline) {
    commit = InfoField(testing::KvlabInfo(Port(leader)), "commit_index");
    applied = InfoField(testing::KvlabInfo(Port(old_leader)), "applied_index");
    if (commit > mid_run && applied >= commit) break;
    PollPause();
  }
  EXPECT_GE(applied, commit) << "node " << old_leader + 1 << " did not catch up";
  EXPECT_GT(commit, mid_run);
}

}  // namespace
}  // namespace kvlab::real
