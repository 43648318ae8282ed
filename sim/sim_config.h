// The simulator's model parameters: network, CPU, disk and clocks. Plain data with defaults
// calibrated to a loopback machine of this kind; scenarios override them.
#pragma once

#include <cstdint>

#include "core/types.h"
#include "sim/sim_disk.h"

namespace kvlab::sim {

struct NetworkModel {
  core::Nanos latency_ns = 50'000;                   // one-way base latency of a link.
  core::Nanos jitter_ns = 10'000;                    // plus uniform [0, jitter].
  uint64_t bandwidth_bytes_per_sec = 1'250'000'000;  // 10 Gbit/s; 0 = infinite.
  uint32_t loss_ppm = 0;                             // probability a message is dropped, parts per million.
  uint32_t duplicate_ppm = 0;                        // probability a message is delivered twice.
  uint32_t reorder_ppm = 0;                          // probability a message may overtake earlier ones.
  core::Nanos reorder_extra_ns = 200'000;            // extra delay of a reordered message: uniform [0, this].
  // Messages a buffering block held arrive this much apart at most after the link reopens (uniform
  // [0, this] on top of the link delay), so they interleave with newer messages and each other.
  core::Nanos release_spread_ns = 20'000'000;
};

struct CpuModel {
  core::Nanos per_event_ns = 2'000;  // fixed cost of handling one input.
  core::Nanos per_kib_ns = 250;      // plus per KiB of message payload.
  uint32_t max_batch = 256;          // inputs handled per turn before EndTurn.
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
