// The simulator's built-in costs: the values of profiles/loopback-2core.toml (measured on this
// machine kind by `kvlab calibrate`). CostProfileTest.CompiledDefaultsMatchCommittedProfile checks
// that these constants, and the [sim] defaults of workloads::SimParams, equal that file's values:
// re-measure, update the file, then these numbers.
//
// The costs a scenario's [sim] table cannot set (the fsync distribution's shape, the per-message CPU
// cost) are "in force" process-wide: the compiled defaults unless `kvlab sim --costs FILE` (or
// `kvlab compare --costs FILE`) replaced them before any run. DiskModel and CpuModel read them in
// their default member initializers, so every SimConfig built afterwards carries them.
#pragma once

#include "core/types.h"

namespace kvlab::sim {

// An fsync (fdatasync) latency distribution by its quantiles, in ns, non-decreasing from min to
// max. Sampled as a piecewise-linear inverse CDF through (0, min), (0.5, p50), (0.9, p90),
// (0.99, p99), (0.999, p999), (1, max): the tail up to max is drawn 1 time in 1000.
struct FsyncQuantiles {
  core::Nanos min = 0;
  core::Nanos p50 = 0;
  core::Nanos p90 = 0;
  core::Nanos p99 = 0;
  core::Nanos p999 = 0;
  core::Nanos max = 0;
  bool operator==(const FsyncQuantiles&) const = default;
};

// The costs only a profile sets (see above).
struct ModelCosts {
  FsyncQuantiles fsync;
  core::Nanos cpu_per_message_ns = 0;  // a node's CPU cost per message received (wake-up, read, write).
  bool operator==(const ModelCosts&) const = default;
};

// profiles/loopback-2core.toml, [cpu] and [fsync].
inline constexpr ModelCosts kLoopbackCosts{
    .fsync = {.min = 57'826, .p50 = 134'420, .p90 = 198'284, .p99 = 408'857, .p999 = 1'848'390, .max = 10'275'797},
    .cpu_per_message_ns = 9'997,
};
// profiles/loopback-2core.toml, the rest (what SimParams' [sim] defaults also say).
inline constexpr core::Nanos kLoopbackNetLatencyNs = 7'816;
inline constexpr core::Nanos kLoopbackNetJitterNs = 1'574;
inline constexpr core::Nanos kLoopbackCpuPerEventNs = 1'136;  // [cpu] per_request_ns.
inline constexpr core::Nanos kLoopbackCpuPerKibNs = 1'713;
inline constexpr core::Nanos kLoopbackDiskWriteNs = 2'804;

// The costs in force (kLoopbackCosts until SetCostsInForce). Not thread-safe: set once, before
// any simulator is built.
const ModelCosts& CostsInForce();
void SetCostsInForce(const ModelCosts& costs);

}  // namespace kvlab::sim
