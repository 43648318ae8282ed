// The measurements of `kvlab calibrate`: each probe runs on this machine for about its share of
// the budget (and at least a few samples, so a tiny budget still yields a valid profile), and
// returns what the simulator's cost model needs. Everything stays on 127.0.0.1 and in data_dir.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/types.h"
#include "sim/default_costs.h"

namespace kvlab::app {

// Every probe takes at least this many samples, whatever the budget, and at most the max.
inline constexpr uint64_t kMinProbeSamples = 16;
inline constexpr uint64_t kMaxProbeSamples = 2'000'000;

struct LoopbackCosts {
  core::Nanos one_way_ns = 0;  // base one-way latency of a link,
  core::Nanos jitter_ns = 0;   // plus uniform [0, jitter] (fitted to the round trips' p10 and p50).
  uint64_t samples = 0;
};
// A TCP ping-pong of 64-byte messages on 127.0.0.1 (TCP_NODELAY, an echo thread), both ends
// spinning on non-blocking reads: the way through the kernel, without the receiver's wake-up (which
// the model charges per node, CpuCosts::wake_ns).
absl::StatusOr<LoopbackCosts> MeasureLoopback(core::Nanos budget);

struct DiskCosts {
  core::Nanos write_ns = 0;  // median pwrite of a small record.
  sim::FsyncQuantiles fsync;
  uint64_t samples = 0;
};
// A small pwrite then fdatasync, over and over, on a preallocated file in `dir` (removed after).
absl::StatusOr<DiskCosts> MeasureDisk(const std::string& dir, core::Nanos budget);

struct CpuCosts {
  core::Nanos wake_ns = 0;
  core::Nanos per_message_ns = 0;
  core::Nanos per_request_ns = 0;
  core::Nanos per_kib_ns = 0;
  core::Nanos client_per_op_ns = 0;  // `kvlab bench`'s own CPU per operation of mixed.
  uint64_t samples = 0;              // requests sent.
};
// Starts `kvlab node --durability none` (this binary) with its data dir under `dir`, and measures
// its CPU time (all threads) per request: GETs one at a time, pipelined 64 deep and one each on
// 32 connections at once give the cost of a wake-up (an idle node's, once per burst), per message
// (a connection's read and write) and per request; pipelined SETs of 100
// and 4096 bytes give the cost per KiB; two `kvlab bench` runs of mixed against it (1000 and 5000
// operations) give the client's CPU per operation.
absl::StatusOr<CpuCosts> MeasureNodeCpu(const std::string& dir, core::Nanos budget);

struct ConnectionCosts {
  core::Nanos node_ns = 0;    // a node's CPU per client connection closed (the FIN's read, close).
  core::Nanos client_ns = 0;  // a `kvlab bench` run's CPU per client connection beyond its requests.
  // The client's CPU for a connection's first request, in a burst of them (its fiber's first run,
  // the send): the gap between successive first invocations.
  core::Nanos client_first_op_ns = 0;
  uint64_t samples = 0;  // connections closed.
};
// Starts `kvlab node --durability none` under `dir`. The node's cost: kCloseConnections
// connections, each served one GET, closed at once; its CPU until INFO shows them gone, per
// connection. The client's: the workload driver of `kvlab bench` in this thread, timed from its
// start to its end (the connections opened before, as `kvlab bench` does): kCloseConnections
// clients of one PUT each beside kFewClients clients doing as many PUTs, the difference per
// extra connection (its fiber's spawn and end, its close). Fixed-size rounds, whatever the budget:
// a few hundred milliseconds in all.
absl::StatusOr<ConnectionCosts> MeasureConnectionCpu(const std::string& dir);

// Starts `kvlab node --durability fsync` under `dir` and returns its CPU time (all threads) per
// SET of a small value sent one at a time: each is a turn, a WAL append, a sync on the node's sync
// thread and the completion's turn. Adds the requests to *samples.
absl::StatusOr<core::Nanos> MeasureSyncedSetCpu(const std::string& dir, core::Nanos budget, uint64_t* samples);

// A node's CPU per sync that the model does not already charge (CpuModel::per_sync_ns): the
// synced SET's CPU less the wake-ups, message, requests and WAL append the model charges it; 0 if
// those already cover it.
core::Nanos PerSyncCpu(core::Nanos synced_set_ns, const CpuCosts& cpu, core::Nanos disk_write_ns);

// The q-quantile (0 <= q <= 1) of `sorted` (non-empty, ascending): the nearest rank.
core::Nanos Quantile(const std::vector<core::Nanos>& sorted, double q);

}  // namespace kvlab::app
