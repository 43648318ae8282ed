// Simulator speed: the event queue alone, and whole simulated runs (clients, network, CPU and disk
// models, the single policy on one node and raft on three). Reported as events per wall-second
// and virtual seconds per wall-second; bench/sim_speed.sh turns the JSON into
// results/sim/speed.json.
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "core/policy/registry.h"
#include "core/rng.h"
#include "sim/event_queue.h"
#include "sim/sim_runtime.h"
#include "sim/simulator.h"

namespace kvlab::sim {
namespace {

void BM_EventQueuePushPop(benchmark::State& state) {
  const int64_t depth = state.range(0);
  EventQueue q;
  core::Rng rng(1);
  for (int64_t i = 0; i < depth; ++i) q.Push(Event{.time = static_cast<core::Nanos>(rng.Uniform(1'000'000))});
  for (auto _ : state) {
    Event ev = q.Pop();
    ev.time += static_cast<core::Nanos>(rng.Uniform(1'000'000));
    q.Push(ev);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueuePushPop)->Arg(64)->Arg(4096)->Arg(262144);

// `clients` closed-loop fibers doing 50/50 GET/PUT over 1000 keys against a cluster of `nodes`
// running `policy`; each client starts at node (index % nodes) + 1 and fails over on refusals.
void RunCluster(benchmark::State& state, const char* policy, int nodes) {
  const int clients = static_cast<int>(state.range(0));
  constexpr int kOpsPerClient = 2000;
  uint64_t events = 0;
  core::Nanos virtual_ns = 0;
  uint64_t seed = 1;
  for (auto _ : state) {
    const core::PolicyChoice choice = *core::ParsePolicyChoice(policy);
    Simulator sim(SimConfig{}, policy, nodes, seed++, [&choice](const core::NodeConfig& config, core::Env& env) {
      return core::MakeNode(choice, config, env);
    });
    if (!sim.Start().ok()) state.SkipWithError("start failed");
    SimRuntime runtime(sim);
    for (int c = 0; c < clients; ++c) {
      runtime.Spawn([&runtime, c] {
        auto client = runtime.Connect(c);
        core::Rng rng(c);
        for (int i = 0; i < kOpsPerClient; ++i) {
          std::string key = absl::StrCat("k", rng.Uniform(1000));
          if (rng.Uniform(2) == 0) {
            client->Get(std::move(key));
          } else {
            client->Put(std::move(key), std::string(100, 'v'));
          }
        }
      });
    }
    if (!sim.RunUntil([&] { return runtime.AllFinished(); }).ok()) state.SkipWithError("run failed");
    events += sim.events();
    virtual_ns += sim.now();
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["virtual_s_per_s"] =
      benchmark::Counter(static_cast<double>(virtual_ns) / 1e9, benchmark::Counter::kIsRate);
  state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()) * clients * kOpsPerClient,
                                                   benchmark::Counter::kIsRate);
}

void BM_SingleNodeRun(benchmark::State& state) { RunCluster(state, "single", 1); }
// The same load on three raft nodes: elections, replication, group commit on every node.
void BM_Raft3Run(benchmark::State& state) { RunCluster(state, "raft", 3); }

BENCHMARK(BM_SingleNodeRun)->Arg(1)->Arg(50)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Raft3Run)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvlab::sim

BENCHMARK_MAIN();
