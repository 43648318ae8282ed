// The cost model's per-connection costs and the clients' one CPU (issue 15): a closed client
// connection costs the node and the client CPU time, and a workload fiber runs only when the
// client's CPU is free, as `kvlab bench`'s fibers share its one thread.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/run.h"
#include "sim/unit_pool.h"

namespace kvlab::sim {
namespace {

TEST(UnitPoolTest, WorkBookedAheadTakesTheUnitThatFreesLast) {
  UnitPool pool(2);
  pool.Occupy(0, 100);             // a turn on unit 0 until 100,
  pool.Occupy(100, 50);            // a sync thread's work booked for the turn's end: unit 0 again,
  EXPECT_EQ(pool.FreeAt(10), 10);  // so unit 1 stays free meanwhile.
  pool.Occupy(10, 20);
  EXPECT_EQ(pool.FreeAt(20), 30);
}

// `clients` clients of one PUT each on single (the throughput scenario, smaller), with `costs`.
SimRunOutcome RunClients(int clients, const ModelCosts& costs) {
  SimRunOptions options;
  absl::StatusOr<workloads::Scenario> s = workloads::FindScenario("throughput");
  EXPECT_TRUE(s.ok()) << s.status();
  options.scenario = *s;
  options.scenario.clients = clients;
  options.scenario.ops = static_cast<uint64_t>(clients);
  options.policy = *core::ParsePolicyChoice("single");
  options.costs = costs;
  absl::StatusOr<SimRunOutcome> outcome = RunSimulation(options);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->ok()) << outcome->check_details;
  return *std::move(outcome);
}

// The built-in costs without the per-connection ones.
ModelCosts NoConnectionCosts() {
  ModelCosts c = kLoopbackCosts;
  c.cpu_per_connection_ns = c.client_cpu_per_connection_ns = 0;
  return c;
}

TEST(ConnectionCostTest, AClosedConnectionCostsTheNode) {
  ModelCosts costly = NoConnectionCosts();
  costly.cpu_per_connection_ns = 200'000;
  const double free = RunClients(200, NoConnectionCosts()).report.throughput_ops_s;
  const double paid = RunClients(200, costly).report.throughput_ops_s;
  // The first replies' clients close while later requests wait for their sync: the node serves
  // the closes (FIFO) before that sync's completion.
  EXPECT_LT(paid, free * 0.8) << free << " -> " << paid;
}

TEST(ConnectionCostTest, AClosedConnectionCostsTheClient) {
  ModelCosts costly = NoConnectionCosts();
  costly.client_cpu_per_connection_ns = 200'000;
  const double free = RunClients(200, NoConnectionCosts()).report.throughput_ops_s;
  const double paid = RunClients(200, costly).report.throughput_ops_s;
  // Each close takes the client's one CPU before the next fiber can take its reply.
  EXPECT_LT(paid, free * 0.5) << free << " -> " << paid;
}

// From the first to the last invocation of the workload's `clients` clients' PUTs.
core::Nanos InvokeSpread(const SimRunOutcome& outcome, int clients) {
  core::Nanos first = -1, last = 0;
  for (const workloads::HistoryOp& h : outcome.history) {
    if (h.client < 0 || h.client >= clients) continue;  // preload writers, verifiers.
    if (h.op != "put") continue;
    first = first < 0 ? h.invoke_ns : std::min(first, h.invoke_ns);
    last = std::max(last, h.invoke_ns);
  }
  return last - first;
}

TEST(ConnectionCostTest, AFiberInvokesOnlyWhenTheClientCpuIsFree) {
  const ModelCosts costs = NoConnectionCosts();
  // 200 fibers woken at once: each invokes after the sends of those ahead of it, as a real event
  // loop's fibers do (the sends are not all stamped at the start and queued behind it).
  EXPECT_GE(InvokeSpread(RunClients(200, costs), 200), 199 * costs.client_cpu_per_op_ns);
}

// A connection's first request costs the client its own figure (the fiber's first run on a fresh
// stack, the first send): a burst of 200 one-request clients goes out that far apart, as
// `kvlab bench`'s does (calibrate measures the gap), not a steady request's cost apart.
TEST(ConnectionCostTest, AConnectionsFirstRequestCostsTheClientItsOwn) {
  ModelCosts costs = NoConnectionCosts();
  costs.client_cpu_first_op_ns = 4 * costs.client_cpu_per_op_ns;
  costs.client_cpu_per_connection_ns = 5 * costs.client_cpu_per_op_ns;  // the first op's extra comes off it.
  EXPECT_GE(InvokeSpread(RunClients(200, costs), 200), 199 * costs.client_cpu_first_op_ns);
}

}  // namespace
}  // namespace kvlab::sim
