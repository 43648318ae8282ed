// SimClient's lazy deadlines: one timeout event per client on the agenda, yet a call that gets no
// answer times out exactly client_timeout_ns after it was made, as with one event per call.
#include "sim/sim_client.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/sim_runtime.h"
#include "sim/simulator.h"
#include "tests/sim/test_nodes.h"

namespace kvlab::sim {
namespace {

using testing::EchoConfig;
using testing::MakeEchoNode;

TEST(SimClientTest, UnansweredCallTimesOutExactlyOneTimeoutAfterItWasMade) {
  Simulator sim(EchoConfig(), "echo", 1, 3, MakeEchoNode);
  ASSERT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  core::Nanos called_at = 0, returned_at = 0;
  workloads::Outcome outcome = workloads::Outcome::kOk;
  runtime.Spawn([&] {
    auto client = runtime.Connect(0);
    // Earlier calls leave superseded deadlines behind, each earlier than the last call's.
    for (int i = 0; i < 20; ++i) ASSERT_EQ(client->Get("a").outcome, workloads::Outcome::kOk);
    runtime.SleepUntil(runtime.Now() + core::Millis(7));
    sim.CrashNode(1, false, Simulator::CrashKind::kMachine);  // silence: no close, no refusal.
    called_at = runtime.Now();
    outcome = client->Get("b").outcome;
    returned_at = runtime.Now();
  });
  ASSERT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  EXPECT_EQ(outcome, workloads::Outcome::kUnknown);
  EXPECT_EQ(returned_at - called_at, EchoConfig().client_timeout_ns);
  EXPECT_EQ(runtime.client_stats().timeouts, 1u);
}

TEST(SimClientTest, CompletedCallsLeaveAtMostOneDeadlinePerClientOnTheAgenda) {
  constexpr int kClients = 8;
  SimConfig config = EchoConfig();
  config.client_timeout_ns = core::Seconds(10);  // every deadline is still ahead when the run ends.
  Simulator sim(config, "echo", 1, 5, MakeEchoNode);
  ASSERT_TRUE(sim.Start().ok());
  SimRuntime runtime(sim);
  for (int c = 0; c < kClients; ++c) {
    runtime.Spawn([&runtime, c] {
      auto client = runtime.Connect(c);
      for (int i = 0; i < 200; ++i) ASSERT_EQ(client->Get("k").outcome, workloads::Outcome::kOk);
    });
  }
  ASSERT_TRUE(sim.RunUntil([&] { return runtime.AllFinished(); }).ok());
  ASSERT_LT(sim.now(), config.client_timeout_ns);
  // Left on the agenda: the echo node's timer and at most one deadline per client, not one per
  // call (1600 calls).
  EXPECT_LE(sim.pending_events(), 1u + kClients);
}

}  // namespace
}  // namespace kvlab::sim
