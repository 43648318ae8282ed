// A Scenario is everything that defines a workload run, as plain data: keyspace, key distribution,
// operation mix, value sizes, clients, arrival process, length, preload, fault schedule and the
// simulator's cost model. The same Scenario runs in the simulator and against real servers; the
// built-ins are DESIGN.md's six scenarios (original defaults) and YCSB core workloads A-F (no E).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/types.h"
#include "workloads/keygen.h"
#include "workloads/op_mix.h"

namespace kvlab::workloads {

// Limits of a scenario (STYLE.md: a limit on everything).
inline constexpr int kMaxClients = 100'000;
inline constexpr uint64_t kMaxKeys = 1'000'000'000;
inline constexpr uint64_t kMaxOps = 1'000'000'000;
inline constexpr size_t kMaxFaults = 10'000;
inline constexpr core::Nanos kMaxDuration = core::Seconds(7 * 24 * 3600);
inline constexpr core::Nanos kDefaultTimelineInterval = core::Millis(100);
static_assert(kMaxClients <= static_cast<int>(kMaxOps));

// One scheduled fault, applied by whoever runs the driver (the simulator reads scenario.faults;
// the real driver may ignore them or drive a local cluster).
struct FaultSpec {
  core::Nanos at = 0;  // since the start of the measured run (after preload).
  // crash | restart | pause | resume | partition | heal | disk_fail | disk_heal | clock_skew |
  // crash_leader (whichever node leads then; needs no `node`) | restart_all (every crashed node) |
  // hold (every link of `node` stalls for `duration`; what it held then arrives late) |
  // io_error (the node's disk fails writes, or syncs with amount 1, until it is restarted).
  std::string kind;
  core::NodeId node = core::kNoNode;  // the target of crash/restart/pause/resume/disk/clock/hold.
  std::vector<core::NodeId> nodes;    // partition: this group is cut off from the others.
  bool one_way = false;               // partition: only messages from `nodes` out are dropped.
  bool buffered = false;              // partition: held (TCP-like) and delivered after the heal.
  int64_t amount = 0;                 // clock_skew: offset in ns; io_error: 0 writes, 1 syncs.
  core::Nanos duration = 0;           // hold: how long the links stall.
  // crash, crash_leader: the process exits (a SIGKILL, what the real nemesis does): the kernel
  // closes its connections and its peers learn at once. Without it the simulator draws a machine
  // crash (the peers learn from their timeouts) or a process exit.
  bool process_exit = false;

  bool operator==(const FaultSpec&) const = default;
};
bool IsKnownFaultKind(const std::string& kind);

// The simulator's cost model; sim/ maps it onto its own configuration. Defaults are calibrated to a
// loopback machine (DESIGN.md "Simulator model").
// The defaults are profiles/loopback-2core.toml's (`kvlab calibrate` on this machine kind) rounded
// to these units; CostProfileTest.CompiledDefaultsMatchCommittedProfile checks them. The fsync
// distribution's shape and the per-message CPU cost have no key here: sim/default_costs.h.
struct SimParams {
  int64_t net_latency_us = 5;           // one-way base latency of a link.
  int64_t net_jitter_us = 4;            // plus uniform [0, jitter].
  int64_t net_bandwidth_mbps = 10'000;  // per link; 0 = infinite.
  uint32_t net_loss_ppm = 0;            // probabilities in parts per million.
  uint32_t net_duplicate_ppm = 0;
  uint32_t net_reorder_ppm = 0;
  int64_t disk_write_us = 4;         // per append.
  int64_t disk_fsync_us = 96;        // median fsync (the profile's distribution scaled to it).
  int64_t disk_fsync_jitter_us = 0;  // an asynchronous fsync adds uniform [0, jitter],
  uint32_t disk_fsync_slow_ppm = 0;  // and with this probability (a device hiccup beyond
  int64_t disk_fsync_slow_us = 0;    // the measured tail) this.
  int64_t cpu_event_ns = 484;        // fixed cost of handling one input (a request: as pipelined).
  int64_t cpu_per_byte_ns = 1;       // plus per payload byte (the profile's 0.59 rounds to 1).
  int64_t clock_max_skew_us = 0;     // per-node offset, uniform [-max, +max].
  int64_t clock_max_drift_ppm = 0;   // per-node rate error, uniform [-max, +max].

  bool operator==(const SimParams&) const = default;
};

enum class Arrival {
  kClosed,  // each client sends its next request when the previous one completes.
  kOpen,    // requests start on a fixed schedule (rate_ops_s); latency counts from the schedule.
};

struct Scenario {
  std::string name;
  std::string description;

  uint64_t keys = 1000;                  // keyspace size (initial, before inserts).
  KeyDistributionSpec key_distribution;  // how operations pick keys.
  OpMix mix;                             // what operations do.
  ValueSizeSpec value_size;

  int clients = 1;           // client fibers, each with its own connection.
  int in_flight = 0;         // at most this many requests outstanding over all clients; 0 = no limit.
  uint64_t ops = 1000;       // total operations over all clients; 0 = run for `duration`.
  core::Nanos duration = 0;  // used when ops == 0; also caps a run with ops > 0 if non-zero.
  Arrival arrival = Arrival::kClosed;
  double rate_ops_s = 0;  // open loop: total target rate over all clients.
  bool preload = false;   // PUT every key once before the measured run.
  core::Nanos request_timeout = core::Seconds(2);
  core::Nanos timeline_interval = kDefaultTimelineInterval;

  std::vector<FaultSpec> faults;  // sorted by `at`.
  SimParams sim;
  // Policy parameters from a [policy] table, "policy.key=value" (as --param takes them), in
  // key order. A run applies those of its policy (others are ignored), before --param flags, which win.
  std::vector<std::string> policy_params;

  // OK, or kInvalidArgument naming the first bad field.
  absl::Status Validate() const;
  // One-line summary for `kvlab scenarios`.
  std::string Summary() const;

  bool operator==(const Scenario&) const = default;
};

// DESIGN.md's six, then ycsb_a, ycsb_b, ycsb_c, ycsb_d, ycsb_f.
const std::vector<Scenario>& BuiltinScenarios();

// A built-in by name, or else a TOML file at that path. kNotFound when neither exists.
absl::StatusOr<Scenario> FindScenario(const std::string& name_or_path);

// TOML scenario files (scenario_toml.cc). Errors (kInvalidArgument) name the file, line and key:
// "mixed.toml:7: key 'mix.read': must be a number in [0, 1]". A file may start from a built-in with
// `base = "mixed"` and override fields.
absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path);
absl::StatusOr<Scenario> LoadScenarioString(const std::string& text, const std::string& name_for_errors);

// The scenario as a TOML file that LoadScenarioString reads back to an equal Scenario: a starting
// point for custom scenarios (`kvlab scenarios --toml NAME`).
std::string ScenarioToToml(const Scenario& scenario);

// "10s", "250ms", "40us", "5000ns", "2m" -> nanoseconds.
absl::StatusOr<core::Nanos> ParseDuration(const std::string& text);
std::string FormatDuration(core::Nanos ns);

}  // namespace kvlab::workloads
