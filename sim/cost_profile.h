// A cost profile: what `kvlab calibrate` measured on a machine (loopback latency and jitter, a
// node's CPU cost per message, per request and per KiB, the disk's append cost and fsync latency
// distribution), with when, where and how it was measured. Stored as TOML; `kvlab sim --costs
// FILE` and `kvlab compare --costs FILE` load one into the simulator's model.
//
//   [measured]  date host kernel filesystem data_dir command budget_s
//   [network]   one_way_ns jitter_ns samples
//   [cpu]       wake_ns per_message_ns per_request_ns per_kib_ns per_sync_ns client_per_op_ns
//               per_connection_ns client_per_connection_ns cores samples (wake_ns, per_sync_ns,
//               the per-connection costs and cores may be missing: profiles written before they
//               existed mean 0: per_message_ns then includes the wake-up, a sync costs the node
//               only its wake-ups, closing a connection costs nothing, and nothing shares a CPU)
//   [disk]      write_ns devices (may be missing: 0, a device per node)
//   [fsync]     min_ns p50_ns p90_ns p99_ns p999_ns max_ns samples
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/types.h"
#include "sim/default_costs.h"
#include "sim/unit_pool.h"
#include "workloads/scenario.h"

namespace kvlab::sim {

// Every measured cost is an integer number of ns in [0, kMaxProfileCostNs] (10 s: beyond it the
// machine is broken, not slow); fsync's p50 is at least 1 ns.
inline constexpr core::Nanos kMaxProfileCostNs = core::Seconds(10);

struct CostProfile {
  // [measured]: provenance, reported, not used by the model.
  std::string date;  // ISO 8601, UTC.
  std::string host;
  std::string kernel;
  std::string filesystem;
  std::string data_dir;
  std::string command;
  double budget_s = 0;
  // [network]: one link's one-way latency, base plus uniform [0, jitter].
  core::Nanos net_one_way_ns = 0;
  core::Nanos net_jitter_ns = 0;
  uint64_t net_samples = 0;
  // [cpu]: the CPU time of waking an idle process (an idle CPU's exit from halt and epoll_wait's
  // return: paid once per burst of work, not per message), a node's CPU time per message received
  // (read and write syscalls), per request (as pipelined), per KiB of payload.
  core::Nanos cpu_wake_ns = 0;
  core::Nanos cpu_per_message_ns = 0;
  core::Nanos cpu_per_request_ns = 0;
  core::Nanos cpu_per_kib_ns = 0;
  core::Nanos cpu_per_sync_ns = 0;       // a node's CPU per fsync beyond its wake-ups (CpuModel).
  core::Nanos client_cpu_per_op_ns = 0;  // a `kvlab bench` client's CPU per operation.
  // A client's first operation on its connection, in place of client_cpu_per_op_ns: its fiber's
  // first run (a fresh stack) and first send (0: no different from the others; CpuModel).
  core::Nanos client_cpu_first_op_ns = 0;
  // Per client connection closed: a node's CPU, and a `kvlab bench` client's (CpuModel).
  core::Nanos cpu_per_connection_ns = 0;
  core::Nanos client_cpu_per_connection_ns = 0;
  int cpu_cores = 0;  // the host's CPUs, shared by its nodes and the client.
  uint64_t cpu_samples = 0;
  // [disk], [fsync].
  core::Nanos disk_write_ns = 0;
  int disk_devices = 0;  // sync devices the host's nodes share (its data dir's filesystem: 1).
  FsyncQuantiles fsync;
  uint64_t fsync_samples = 0;
};

// Parses and checks a profile; InvalidArgument "FILE: [table] key: why" on a missing, unknown,
// mistyped or out-of-range field (and on non-monotone fsync quantiles).
absl::StatusOr<CostProfile> ParseCostProfile(const std::string& text, const std::string& file);
absl::StatusOr<CostProfile> LoadCostProfile(const std::string& path);
std::string CostProfileToToml(const CostProfile& profile);

// The profile's costs a scenario's [sim] table carries (µs and ns/byte resolution: rounded).
void ApplyCostProfile(const CostProfile& profile, workloads::SimParams& params);
// The rest (fsync distribution, per-message and client CPU).
ModelCosts ModelCostsOf(const CostProfile& profile);

}  // namespace kvlab::sim
