// The simulator's built-in costs: the values of profiles/loopback-2core.toml (measured on this
// machine kind by `kvlab calibrate`). CostProfileTest.CompiledDefaultsMatchCommittedProfile checks
// that these constants, and the [sim] defaults of workloads::SimParams, equal that file's values:
// re-measure, update the file, then these numbers.
//
// The costs a scenario's [sim] table cannot set (the fsync distribution's shape, the per-message CPU
// cost, the client's CPU) travel with each run (SimRunOptions::costs, set by `kvlab sim|compare
// --costs FILE`; these constants otherwise), never through process-wide state: a run is a function
// of its options alone.
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
  core::Nanos cpu_wake_ns = 0;             // waking an idle node or client (once per burst of work).
  core::Nanos cpu_per_message_ns = 0;      // a node's CPU cost per message received (read, write).
  core::Nanos cpu_per_sync_ns = 0;         // a node's CPU per sync beyond the wake-ups (see CpuModel).
  core::Nanos client_cpu_per_op_ns = 0;    // the benchmark client's CPU per operation.
  core::Nanos client_cpu_first_op_ns = 0;  // ... its first on a connection (0: as any other).
  // Per client connection closed (see CpuModel): a node's (the FIN's read, epoll_ctl, close) and
  // the client's (its fiber's end, close and the FIN's way through loopback).
  core::Nanos cpu_per_connection_ns = 0;
  core::Nanos client_cpu_per_connection_ns = 0;
  int cpu_cores = 0;     // cores shared by the nodes and the client (0: not shared).
  int disk_devices = 0;  // sync devices shared by the nodes (0: one per node).
  bool operator==(const ModelCosts&) const = default;
};

// profiles/loopback-2core.toml, [cpu] and [fsync].
inline constexpr ModelCosts kLoopbackCosts{
    .fsync = {.min = 59'078, .p50 = 95'622, .p90 = 132'126, .p99 = 192'265, .p999 = 299'895, .max = 5'732'391},
    .cpu_wake_ns = 20'452,
    .cpu_per_message_ns = 7'775,
    .cpu_per_sync_ns = 38'633,
    .client_cpu_per_op_ns = 10'819,
    .cpu_per_connection_ns = 15'869,
    .client_cpu_per_connection_ns = 19'613,
    .cpu_cores = 2,
    .disk_devices = 1,
};
// profiles/loopback-2core.toml, the rest (what SimParams' [sim] defaults also say).
inline constexpr core::Nanos kLoopbackNetLatencyNs = 4'862;
inline constexpr core::Nanos kLoopbackNetJitterNs = 3'946;
inline constexpr core::Nanos kLoopbackCpuPerEventNs = 484;  // [cpu] per_request_ns.
inline constexpr core::Nanos kLoopbackCpuPerKibNs = 609;
inline constexpr core::Nanos kLoopbackDiskWriteNs = 4'146;

}  // namespace kvlab::sim
