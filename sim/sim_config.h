// The simulator's model parameters: network, CPU, disk and clocks. Plain data whose defaults are
// the committed profile of this machine kind (sim/default_costs.h, profiles/loopback-2core.toml,
// measured by `kvlab calibrate`); scenarios and `--costs FILE` override them.
#pragma once

#include <cstdint>

#include "core/types.h"
#include "sim/default_costs.h"
#include "sim/sim_disk.h"

namespace kvlab::sim {

struct NetworkModel {
  core::Nanos latency_ns = kLoopbackNetLatencyNs;    // one-way base latency of a link.
  core::Nanos jitter_ns = kLoopbackNetJitterNs;      // plus uniform [0, jitter].
  uint64_t bandwidth_bytes_per_sec = 1'250'000'000;  // 10 Gbit/s; 0 = infinite.
  uint32_t loss_ppm = 0;                             // probability a message is dropped, parts per million.
  uint32_t duplicate_ppm = 0;                        // probability a message is delivered twice.
  uint32_t reorder_ppm = 0;                          // probability a message may overtake earlier ones.
  core::Nanos reorder_extra_ns = 200'000;            // extra delay of a reordered message: uniform [0, this].
  // Messages a buffering block held arrive this much apart at most after the link reopens (uniform
  // [0, this] on top of the link delay), so they interleave with newer messages and each other.
  core::Nanos release_spread_ns = 20'000'000;
  // A dead process's closed connections reach its clients too, not only its peers (false: the
  // model before session 10, under which older regression seeds were found).
  bool close_reaches_clients = true;
};

struct CpuModel {
  // A turn that finds the node idle (its CPU finished the previous turn before this one's input
  // arrived) pays this first: the idle CPU's exit from halt and epoll_wait's return. Back-to-back
  // turns under load do not, so concurrency shares it (measured: a node's CPU per request falls
  // from 58 us with one client to 14 us with 100 on the 2-core VM). The client pays it too, on a
  // reply that finds it idle.
  core::Nanos wake_ns = kLoopbackCosts.cpu_wake_ns;
  // Per message received (a client request or a peer's message): a connection's read and write
  // syscalls, which pipelining would share but one request at a time pays alone.
  core::Nanos per_message_ns = kLoopbackCosts.cpu_per_message_ns;
  core::Nanos per_event_ns = kLoopbackCpuPerEventNs;  // plus per input handled,
  core::Nanos per_kib_ns = kLoopbackCpuPerKibNs;      // plus per KiB of message payload.
  // Per sync, on a core beside the sync thread's wake-up: handing the sync to that thread,
  // fdatasync's own kernel work (the journal commit) and signalling its completion back. It takes
  // a core from the others but does not delay the sync (the device's latency already includes it).
  core::Nanos per_sync_ns = kLoopbackCosts.cpu_per_sync_ns;
  uint32_t max_batch = 256;  // inputs handled per turn before EndTurn.
  // The host's cores every node and the client share (UnitPool); 0: each has a CPU of its own.
  int cores = kLoopbackCosts.cpu_cores;
  // The clients' CPU per operation (encoding, syscalls, parsing, recording), on one CPU shared by
  // every client, as a benchmark process's single thread is: a request leaves once it is paid.
  core::Nanos client_per_op_ns = kLoopbackCosts.client_cpu_per_op_ns;
  // A client's first operation on its connection costs this instead (when larger): the fiber's
  // first run on a fresh stack and the connection's first send. In a burst of one-request clients
  // (the throughput scenario) the requests leave this far apart, as `kvlab bench`'s do; the
  // difference comes off client_per_connection_ns, so a connection's total is as measured.
  core::Nanos client_first_op_ns = kLoopbackCosts.client_cpu_first_op_ns;
  // Per client connection closed, when its fiber ends: the node's CPU (an input of its own: the
  // FIN's read, epoll_ctl, close) and the client's (its fiber's end and spawn, close, the FIN's
  // way through loopback). A run opens its connections before it starts timing, as `kvlab bench`
  // does, so opening one costs nothing here. One request per connection (the throughput
  // scenario: 1,000 clients, one PUT each) pays these once per request; a steady run, once.
  core::Nanos per_connection_ns = kLoopbackCosts.cpu_per_connection_ns;
  core::Nanos client_per_connection_ns = kLoopbackCosts.client_cpu_per_connection_ns;
};

struct ClockModel {
  core::Nanos max_skew_ns = 0;  // each node's clock offset: uniform [-max, +max].
  int64_t max_drift_ppm = 0;    // each node's rate error: uniform [-max, +max] ppm.
};

struct SimConfig {
  NetworkModel network;
  CpuModel cpu;
  DiskModel disk;
  ClockModel clock;
  core::Nanos client_timeout_ns = core::Seconds(2);
};

}  // namespace kvlab::sim
