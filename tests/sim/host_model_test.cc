// The cost model's shared host (issue 15): wake-ups, shared cores and a shared sync device each
// move the simulated figures the way the real loopback machine does, and a profile without them
// is the old model.
#include <gtest/gtest.h>

#include "sim/run.h"
#include "sim/sim_runtime.h"
#include "sim/unit_pool.h"
#include "tests/sim/test_nodes.h"

namespace kvlab::sim {
namespace {

TEST(UnitPoolTest, NoUnitsMeansNoSharing) {
  UnitPool pool(0);
  EXPECT_FALSE(pool.shared());
  pool.Occupy(100, 1'000);
  EXPECT_EQ(pool.FreeAt(100), 100);
}

TEST(UnitPoolTest, WorkWaitsForTheFirstUnitToFree) {
  UnitPool pool(2);
  EXPECT_EQ(pool.FreeAt(0), 0);
  pool.Occupy(0, 500);
  EXPECT_EQ(pool.FreeAt(10), 10);  // the second unit is free.
  pool.Occupy(10, 300);
  EXPECT_EQ(pool.FreeAt(20), 310);  // both busy: the second frees first.
  pool.Occupy(310, 100);
  EXPECT_EQ(pool.FreeAt(320), 410);
  EXPECT_EQ(pool.FreeAt(1'000), 1'000);
}

// Seed 1 of a small built-in scenario on `policy` with `costs`; the run must pass its checks.
workloads::RunReport RunSeed1(const std::string& scenario, const std::string& policy, const ModelCosts& costs) {
  SimRunOptions options;
  absl::StatusOr<workloads::Scenario> s = workloads::FindScenario(scenario);
  EXPECT_TRUE(s.ok()) << s.status();
  options.scenario = *s;
  options.scenario.ops = 400;
  options.policy = *core::ParsePolicyChoice(policy);
  options.costs = costs;
  absl::StatusOr<SimRunOutcome> outcome = RunSimulation(options);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->ok()) << outcome->check_details;
  return outcome->report;
}

// The built-in costs without the shared host: no wake-up, no CPU per sync, nothing shared.
ModelCosts Unshared() {
  ModelCosts c = kLoopbackCosts;
  c.cpu_wake_ns = c.cpu_per_sync_ns = 0;
  c.cpu_cores = c.disk_devices = 0;
  return c;
}

TEST(HostModelTest, AnIdleNodeAndClientPayAWakeUp) {
  ModelCosts woken = Unshared();
  woken.cpu_wake_ns = 20'000;
  const double base = RunSeed1("latency", "single", Unshared()).latency.p50_us;
  const double with_wake = RunSeed1("latency", "single", woken).latency.p50_us;
  // One client, one request at a time: the node wakes for the request and for the sync's end,
  // its sync thread for the sync, the client for the reply.
  EXPECT_GE(with_wake - base, 60) << base << " -> " << with_wake;
}

TEST(HostModelTest, NodesOfOneHostShareItsCores) {
  ModelCosts one_core = Unshared();
  one_core.cpu_cores = 1;
  const double own = RunSeed1("mixed", "raft", Unshared()).throughput_ops_s;
  const double shared = RunSeed1("mixed", "raft", one_core).throughput_ops_s;
  EXPECT_LT(shared, own * 0.9) << own << " -> " << shared;
}

TEST(HostModelTest, SyncsOnOneDeviceWaitForEachOther) {
  ModelCosts one_disk = Unshared();
  one_disk.disk_devices = 1;
  const double own = RunSeed1("latency", "raft", Unshared()).latency.p50_us;
  const double shared = RunSeed1("latency", "raft", one_disk).latency.p50_us;
  // The leader's and the followers' syncs of one write start together: on one device the
  // majority's second sync ends a whole sync later.
  EXPECT_GT(shared - own, kLoopbackCosts.fsync.p50 / 2 / 1'000.0) << own << " -> " << shared;
}

TEST(HostModelTest, ASyncTakesACoreFromTheOthers) {
  ModelCosts one_core = Unshared();
  one_core.cpu_cores = 1;
  ModelCosts costly_syncs = one_core;
  costly_syncs.cpu_per_sync_ns = 200'000;
  const double cheap = RunSeed1("mixed", "raft", one_core).throughput_ops_s;
  const double costly = RunSeed1("mixed", "raft", costly_syncs).throughput_ops_s;
  // Three nodes' syncs on the one core the nodes' turns and the client need too.
  EXPECT_LT(costly, cheap * 0.9) << cheap << " -> " << costly;
}

// Node 1 answers a request after sending node 2 kFanOut messages in the same turn; node 2 counts
// them.
constexpr int kFanOut = 8;
class FanOutNode final : public core::Node {
 public:
  FanOutNode(const core::NodeConfig& config, core::Env& env) : config_(config), env_(env) {}
  absl::Status Start() override { return absl::OkStatus(); }
  void OnClientRequest(core::ReplyHandle handle, core::Command cmd) override {
    for (int i = 0; i < kFanOut; ++i) {
      core::Message m;
      m.type = core::MessageType::kForwardRequest;
      m.body = core::ClientRequest{static_cast<uint64_t>(i), cmd};
      env_.Send(2, std::move(m));
    }
    env_.Reply(handle, core::ClientReply{});
  }
  void OnMessage(const core::Message&) override { ++received; }
  void OnSyncDone(core::SyncToken, absl::Status) override {}
  void OnTimer(core::TimerToken) override {}
  void EndTurn() override {}
  std::vector<std::pair<std::string, std::string>> Info() const override { return {}; }
  core::NodeStatus Status() const override { return {}; }
  const core::KvState* AppliedState() const override { return nullptr; }
  size_t KeyCount() const override { return 0; }
  int received = 0;

 private:
  core::NodeConfig config_;
  core::Env& env_;
};

// A peer's frames that arrive together are one read on its link (and the turn's answers one
// write): the receiving node pays a message's syscalls once for the lot, not once per frame, as a
// real node serving a busy peer link does.
TEST(HostModelTest, APeersFramesInOneTurnPayOneReadAndWrite) {
  SimConfig config = testing::EchoConfig();
  config.network.jitter_ns = 0;  // the frames arrive together.
  config.cpu.per_message_ns = 100'000;
  Simulator sim(config, "fanout", 2, 1, [](const core::NodeConfig& c, core::Env& env) {
    return absl::StatusOr<std::unique_ptr<core::Node>>(std::make_unique<FanOutNode>(c, env));
  });
  ASSERT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  runtime.Spawn([&runtime] { EXPECT_EQ(runtime.Connect(0)->Get("k").outcome, workloads::Outcome::kOk); });
  ASSERT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  ASSERT_TRUE(sim.RunUntil([&] { return static_cast<FanOutNode*>(sim.node(2).node())->received == kFanOut; }).ok());
  // Frames that arrive while a turn runs wait for the next one: a read per turn, not per frame.
  const NodeStats& receiver = sim.node(2).stats();
  ASSERT_LT(receiver.turns, static_cast<uint64_t>(kFanOut));
  EXPECT_GE(receiver.busy_ns, config.cpu.per_message_ns);
  EXPECT_LT(receiver.busy_ns, static_cast<core::Nanos>(receiver.turns + 1) * config.cpu.per_message_ns)
      << receiver.turns << " turns: each of the " << kFanOut << " frames paid a read";
}

}  // namespace
}  // namespace kvlab::sim
