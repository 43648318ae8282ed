// Checker speed (issue 4): time to verdict on a 100,000-operation history with 100 clients over
// 1,000 keys, generated from an atomic register (so the verdict is "linearizable" and the search
// must explore, not stop at the first violation). Recorded in results/checker.json:
//   build/release/checker_bench --benchmark_out=results/checker.json --benchmark_out_format=json
// A large history file for `kvlab check` (10 M ops over 100 k keys: --ops 10000000 --keys 100000):
//   build/release/checker_bench --write-history FILE --ops N --keys K
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/rng.h"
#include "workloads/checker.h"
#include "workloads/synthetic_history.h"

namespace kvlab::workloads {
namespace {

std::vector<HistoryOp> History100k() {
  core::Rng rng(9);
  return AtomicRegisterHistory(
      rng, {.clients = 100, .ops_per_client = 1000, .keys = 1000, .unknown_ppm = 50'000, .fail_ppm = 50'000});
}

void BM_CheckLinearizable100kOps(benchmark::State& state) {
  const std::vector<HistoryOp> history = History100k();
  for (auto _ : state) {
    const CheckResult r = CheckLinearizable(history);
    if (!r.ok) state.SkipWithError("unexpected violation");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(history.size()));
}
BENCHMARK(BM_CheckLinearizable100kOps)->Unit(benchmark::kMillisecond);

// The same history decided by the exhaustive search alone (what keys with repeated values get).
void BM_CheckLinearizable100kOpsSearchOnly(benchmark::State& state) {
  const std::vector<HistoryOp> history = History100k();
  CheckOptions options;
  options.use_zone_test = false;
  for (auto _ : state) {
    const CheckResult r = CheckLinearizable(history, options);
    if (!r.ok) state.SkipWithError("unexpected violation");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(history.size()));
}
BENCHMARK(BM_CheckLinearizable100kOpsSearchOnly)->Unit(benchmark::kMillisecond);

void BM_CheckEventual100kOps(benchmark::State& state) {
  const std::vector<HistoryOp> history = History100k();
  for (auto _ : state) benchmark::DoNotOptimize(CheckEventual(history));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(history.size()));
}
BENCHMARK(BM_CheckEventual100kOps)->Unit(benchmark::kMillisecond);

// A hot key: every op on one register, 100 concurrent clients. The exhaustive search alone runs
// out of its 5M-state budget here (~40 s); the zone test decides it in milliseconds.
void BM_CheckLinearizableOneHotKey10kOps(benchmark::State& state) {
  core::Rng rng(3);
  const std::vector<HistoryOp> history =
      AtomicRegisterHistory(rng, {.clients = 100, .ops_per_client = 100, .keys = 1, .unknown_ppm = 0, .fail_ppm = 0});
  for (auto _ : state) benchmark::DoNotOptimize(CheckLinearizable(history));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(history.size()));
}
BENCHMARK(BM_CheckLinearizableOneHotKey10kOps)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvlab::workloads

namespace kvlab::workloads {
namespace {

// --write-history FILE --ops N --keys K: an atomic register's history of about N ops (1,000
// clients) over K keys, as JSON lines.
int WriteSyntheticHistory(int argc, char** argv) {
  if (argc != 7 || std::strcmp(argv[3], "--ops") != 0 || std::strcmp(argv[5], "--keys") != 0) {
    std::fprintf(stderr, "usage: checker_bench --write-history FILE --ops N --keys K\n");
    return 2;
  }
  const long ops = std::atol(argv[4]), keys = std::atol(argv[6]);
  constexpr int kClients = 1000;
  if (ops < kClients || keys < 1) {
    std::fprintf(stderr, "checker_bench: --ops must be >= %d and --keys >= 1\n", kClients);
    return 2;
  }
  core::Rng rng(9);
  const std::vector<HistoryOp> history = AtomicRegisterHistory(
      rng, {.clients = kClients, .ops_per_client = static_cast<int>(ops / kClients), .keys = static_cast<int>(keys)});
  if (absl::Status s = WriteHistoryFile(history, argv[2]); !s.ok()) {
    std::fprintf(stderr, "checker_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("wrote %zu ops to %s\n", history.size(), argv[2]);
  return 0;
}

}  // namespace
}  // namespace kvlab::workloads

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--write-history") == 0)
    return kvlab::workloads::WriteSyntheticHistory(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
