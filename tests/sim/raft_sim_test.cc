// The raft policy in the simulator: 3- and 5-node clusters under client load, leader crashes,
// partitions and random fault sweeps. Every run's history must be linearizable, no acknowledged
// write may be lost, and once faults stop every request must complete within bounded time.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/raft/raft_node.h"
#include "sim/faults.h"
#include "sim/sim_runtime.h"
#include "sim/simulator.h"
#include "workloads/checker.h"
#include "workloads/history.h"

namespace kvlab::sim {
namespace {

using workloads::HistoryOp;
using workloads::OpResult;
using workloads::Outcome;

SimConfig Config() {
  SimConfig c;
  c.client_timeout_ns = core::Seconds(2);
  return c;
}

// Runs one client call and records it in the history (put and get only).
HistoryOp Call(SimRuntime& rt, workloads::Client& client, int id, const core::Command& cmd) {
  HistoryOp op;
  op.client = id;
  op.op = cmd.op == core::Op::kPut ? "put" : "get";
  op.key = cmd.keys[0];
  if (cmd.op == core::Op::kPut) op.value = cmd.values[0];
  op.invoke_ns = rt.Now();
  workloads::ClientResult r = client.Execute(cmd);
  op.complete_ns = rt.Now();
  switch (r.outcome) {
    case Outcome::kOk:
      op.result = OpResult::kOk;
      if (cmd.op == core::Op::kGet) {
        op.value =
            r.result.kind == core::ResultKind::kValue ? std::optional<std::string>(r.result.value) : std::nullopt;
      }
      break;
    case Outcome::kFail: op.result = OpResult::kFail; break;
    case Outcome::kUnknown: op.result = OpResult::kUnknown; break;
  }
  return op;
}

struct RunOptions {
  int nodes = 3;
  int clients = 4;
  int ops_per_client = 40;
  int keys = 4;
  bool random_faults = false;
  uint64_t snapshot_every = 0;  // 0: the policy's default (no snapshots in short runs).
  core::Nanos faults_until = core::Seconds(3);
  // A scripted fault, run by its own fiber (e.g. crash the leader at some time).
  std::function<void(Simulator&, SimRuntime&)> script;
};

struct RunOutcome {
  std::vector<HistoryOp> history;
  int ok = 0;
  int failed = 0;
  int unknown = 0;
  core::Nanos quiet_at = 0;       // when faults stopped.
  core::Nanos last_complete = 0;  // completion of the last client op.
  bool finished = false;
  uint64_t trace_hash = 0;
  std::vector<std::string> node_errors;
};

core::NodeId LeaderOf(Simulator& sim) {
  core::NodeId found = core::kNoNode;
  uint64_t term = 0;
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(sim.node_count()); ++id) {
    auto* n = static_cast<core::RaftNode*>(sim.node(id).node());
    if (n != nullptr && n->role() == core::RaftRole::kLeader && n->term() >= term) {
      found = id;
      term = n->term();
    }
  }
  return found;
}

RunOutcome RunRaft(uint64_t seed, const RunOptions& opt) {
  RunOutcome out;
  core::RaftOptions ro;
  if (opt.snapshot_every > 0) ro.snapshot_every_entries = opt.snapshot_every;
  NodeFactory factory = [ro](const core::NodeConfig& config,
                             core::Env& env) -> absl::StatusOr<std::unique_ptr<core::Node>> {
    return std::unique_ptr<core::Node>(new core::RaftNode(config, env, ro));
  };
  Simulator sim(Config(), "raft", opt.nodes, seed, factory);
  EXPECT_TRUE(sim.Start().ok());
  SimRuntime rt(sim);
  std::unique_ptr<FaultInjector> faults;
  if (opt.random_faults) {
    faults = std::make_unique<FaultInjector>(sim, FaultMode::kRandom, std::vector<FaultAction>{});
    faults->Start(core::Millis(200), opt.faults_until);
    rt.Spawn([&] {
      rt.SleepUntil(opt.faults_until);
      faults->Quiesce();
      out.quiet_at = rt.Now();
    });
  }
  if (opt.script) rt.Spawn([&] { opt.script(sim, rt); });
  core::Rng rng = core::Rng::Derive(seed, "raft_sim_test");
  int writers_done = 0;
  for (int c = 0; c < opt.clients; ++c) {
    rt.Spawn([&, c] {
      auto client = rt.Connect(c);
      for (int i = 0; i < opt.ops_per_client; ++i) {
        const std::string key = "k" + std::to_string(rng.Uniform(opt.keys));
        core::Command cmd = rng.Uniform(2) == 0
                                ? core::Command::Put(key, "c" + std::to_string(c) + "-" + std::to_string(i))
                                : core::Command::Get(key);
        out.history.push_back(Call(rt, *client, c, cmd));
        rt.SleepUntil(rt.Now() + core::Millis(static_cast<int64_t>(rng.Uniform(20))));
      }
      ++writers_done;
    });
  }
  // After the load and the faults, read every key back (retrying refusals): acknowledged writes
  // must be there, which the linearizability check of these reads verifies.
  rt.Spawn([&] {
    while (writers_done < opt.clients || (opt.random_faults && out.quiet_at == 0)) {
      rt.SleepUntil(rt.Now() + core::Millis(50));
    }
    auto client = rt.Connect(opt.clients);
    for (int k = 0; k < opt.keys; ++k) {
      for (int attempt = 0; attempt < 20; ++attempt) {
        HistoryOp op = Call(rt, *client, 1000, core::Command::Get("k" + std::to_string(k)));
        const bool ok = op.result == OpResult::kOk;
        out.history.push_back(std::move(op));
        if (ok) break;
      }
    }
  });
  out.finished = sim.RunUntil([&] { return rt.AllFinished(); }, core::Seconds(120)).ok();
  for (const HistoryOp& op : out.history) {
    out.ok += op.result == OpResult::kOk;
    out.failed += op.result == OpResult::kFail;
    out.unknown += op.result == OpResult::kUnknown;
    out.last_complete = std::max(out.last_complete, op.complete_ns);
  }
  out.trace_hash = sim.trace().hash();
  out.node_errors = sim.node_errors();
  return out;
}

void ExpectLinearizable(const RunOutcome& r, uint64_t seed) {
  workloads::CheckResult check = workloads::CheckLinearizable(r.history);
  EXPECT_TRUE(check.ok) << "seed " << seed << "\n" << workloads::FormatCheckResult(check);
}

// The final read-back of every key succeeded (the last op of each key by client 1000 is ok).
void ExpectFinalReadsSucceeded(const RunOutcome& r, int keys, uint64_t seed) {
  int final_ok = 0;
  for (const HistoryOp& op : r.history) final_ok += op.client == 1000 && op.result == OpResult::kOk;
  EXPECT_EQ(final_ok, keys) << "seed " << seed;
}

TEST(RaftSimTest, ThreeNodeClusterServesEveryRequestWithoutFaults) {
  RunOptions opt;
  RunOutcome r = RunRaft(1, opt);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.failed + r.unknown, 0) << "with no faults every request succeeds (after the first election)";
  ExpectLinearizable(r, 1);
  ExpectFinalReadsSucceeded(r, opt.keys, 1);
}

TEST(RaftSimTest, FiveNodeClusterIsLinearizable) {
  RunOptions opt;
  opt.nodes = 5;
  opt.clients = 5;
  RunOutcome r = RunRaft(2, opt);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.failed + r.unknown, 0);
  ExpectLinearizable(r, 2);
}

TEST(RaftSimTest, SameSeedGivesSameTraceHash) {
  RunOptions opt;
  opt.ops_per_client = 15;
  EXPECT_EQ(RunRaft(7, opt).trace_hash, RunRaft(7, opt).trace_hash);
}

TEST(RaftSimTest, CrashedLeaderIsReplacedAndCatchesUpAfterRestart) {
  RunOptions opt;
  opt.ops_per_client = 60;
  core::NodeId crashed = core::kNoNode;
  uint64_t new_leader_term = 0;
  opt.script = [&](Simulator& sim, SimRuntime& rt) {
    rt.SleepUntil(core::Millis(500));
    crashed = LeaderOf(sim);
    ASSERT_NE(crashed, core::kNoNode);
    sim.CrashNode(crashed, false);
    rt.SleepUntil(core::Millis(1500));
    const core::NodeId now = LeaderOf(sim);
    EXPECT_NE(now, core::kNoNode);
    EXPECT_NE(now, crashed);
    if (now != core::kNoNode) new_leader_term = static_cast<core::RaftNode*>(sim.node(now).node())->term();
    ASSERT_TRUE(sim.RestartNode(crashed).ok());
    rt.SleepUntil(core::Millis(2500));
    auto* restarted = static_cast<core::RaftNode*>(sim.node(crashed).node());
    auto* leader = static_cast<core::RaftNode*>(sim.node(LeaderOf(sim)).node());
    EXPECT_EQ(restarted->applied_index(), leader->commit_index()) << "the restarted node caught up";
  };
  RunOutcome r = RunRaft(3, opt);
  ASSERT_TRUE(r.finished);
  EXPECT_GT(new_leader_term, 1u);
  ExpectLinearizable(r, 3);
  ExpectFinalReadsSucceeded(r, opt.keys, 3);
}

TEST(RaftSimTest, IsolatedLeaderStepsDownAndMajoritySideServes) {
  RunOptions opt;
  opt.ops_per_client = 60;
  opt.script = [&](Simulator& sim, SimRuntime& rt) {
    rt.SleepUntil(core::Millis(400));
    const core::NodeId old = LeaderOf(sim);
    ASSERT_NE(old, core::kNoNode);
    sim.IsolateNode(old);
    rt.SleepUntil(core::Millis(1400));
    const core::NodeId now = LeaderOf(sim);
    EXPECT_NE(now, old);
    EXPECT_NE(static_cast<core::RaftNode*>(sim.node(old).node())->role(), core::RaftRole::kLeader);
    sim.HealNetwork();
  };
  RunOutcome r = RunRaft(4, opt);
  ASSERT_TRUE(r.finished);
  ExpectLinearizable(r, 4);
  ExpectFinalReadsSucceeded(r, opt.keys, 4);
}

// Random faults (crashes, torn crashes, pauses, partitions incl. one-way, loss/duplication/
// reordering, clock jumps) on many seeds. After Quiesce every request completes in bounded time.
TEST(RaftSimTest, RandomFaultSweepIsLinearizableAndLive) {
  for (uint64_t seed = 100; seed < 124; ++seed) {
    RunOptions opt;
    opt.random_faults = true;
    opt.ops_per_client = 50;
    RunOutcome r = RunRaft(seed, opt);
    ASSERT_TRUE(r.finished) << "seed " << seed;
    EXPECT_TRUE(r.node_errors.empty()) << "seed " << seed << ": " << r.node_errors.front();
    ExpectLinearizable(r, seed);
    ExpectFinalReadsSucceeded(r, opt.keys, seed);
    // Liveness: everything done within a bounded time after the faults stopped.
    EXPECT_LE(r.last_complete, r.quiet_at + core::Seconds(10)) << "seed " << seed;
  }
}

// The same with frequent snapshots, so restarted and partitioned followers catch up through
// InstallSnapshot, and with five nodes.
TEST(RaftSimTest, RandomFaultSweepWithSnapshotsIsLinearizableAndLive) {
  for (uint64_t seed = 200; seed < 212; ++seed) {
    RunOptions opt;
    opt.random_faults = true;
    opt.snapshot_every = 16;
    opt.nodes = seed % 2 == 0 ? 3 : 5;
    opt.clients = 5;
    opt.ops_per_client = 50;
    RunOutcome r = RunRaft(seed, opt);
    ASSERT_TRUE(r.finished) << "seed " << seed;
    EXPECT_TRUE(r.node_errors.empty()) << "seed " << seed << ": " << r.node_errors.front();
    ExpectLinearizable(r, seed);
    ExpectFinalReadsSucceeded(r, opt.keys, seed);
    EXPECT_LE(r.last_complete, r.quiet_at + core::Seconds(10)) << "seed " << seed;
  }
}

}  // namespace
}  // namespace kvlab::sim
