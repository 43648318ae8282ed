// PolicyInfo: how a replication policy declares itself to the registry (core/policy/registry.h):
// name, promise, cluster sizes, the faults it claims to survive, its parameters and its factory.
// Each policy's folder defines one; only the registry lists them all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"
#include "core/policy/node.h"
#include "core/policy/params.h"

namespace kvlab::core {

// What a policy promises about the histories it produces; the run's verdict checks it.
enum class Consistency : uint8_t {
  kLinearizable,               // every history is linearizable.
  kEventual,                   // replicas converge; reads may be stale (reported, not failed).
  kLinearizableUntilFailover,  // linearizable while the primary lives; failover may lose writes.
  kEventualReadLatest,         // eventual, and no read misses a write acknowledged before it began
                               // (quorum with R + W > N, strict): a stale read fails the run.
};
const char* ConsistencyName(Consistency c);

using NodeFactory = absl::StatusOr<std::unique_ptr<Node>> (*)(const NodeConfig& config, const PolicyParams& params,
                                                              Env& env);

struct PolicyInfo {
  std::string_view name;
  uint8_t tag = 0;  // PeerMessage::policy of its messages; unique among policies.
  std::string_view description;
  int default_nodes = 1;
  int min_nodes = 1;
  int max_nodes = 1;
  Consistency promise = Consistency::kLinearizable;
  // Optional: the promise of one setting of the parameters when it differs between settings
  // (pb: sync is linearizable, async linearizable until a failover). Absent: `promise` always.
  Consistency (*promise_for)(const PolicyParams& params) = nullptr;
  // Optional: the protocol's peer messages per acknowledged write and per read on `nodes` nodes, in
  // steady state without faults (the compare table shows them beside the measured figure).
  double (*messages_per_write)(const PolicyParams& params, int nodes) = nullptr;
  double (*messages_per_read)(const PolicyParams& params, int nodes) = nullptr;
  // Acknowledged writes survive crashes of up to max_faulty(n) nodes (with --durability fsync).
  bool durable = true;
  // It applies a kExec command (MULTI ... EXEC, WATCH) atomically: as one step of one replica
  // order (one log entry under raft). A policy that cannot leaves it false, and the real node
  // refuses MULTI and WATCH before anything is queued.
  bool transactions = false;
  // How many of n nodes may be down, cut off or lose their disk at once with the promise intact
  // and the cluster serving again once they return (raft: a minority). Fault budgets use it.
  int (*max_faulty)(int nodes) = nullptr;
  // Fault kinds (sim::FaultMode names) it claims to survive; the conformance suite sweeps each.
  std::vector<std::string_view> survives;
  // Its files in a node's data dir (empty: none). The log is written on every write turn and
  // synced (the real node preallocates it under fsync; `kvlab wal repair` may cut it at its last
  // good record); the snapshot is replaced atomically, never cut. Both must be string literals.
  std::string_view log_file;
  std::string_view snapshot_file;
  // Recovers its durable state from `disk` with its own readers, as a node does at start (it may
  // cut a torn tail: pass a disk that can take that), and summarises it in one line for `kvlab wal
  // check`; or the recovery error (DataLoss for corruption). Absent for a policy without files.
  absl::StatusOr<std::string> (*inspect)(Disk& disk) = nullptr;
  std::vector<ParamSpec> params;
  // Decodes one of its peer messages and encodes it again (absent for a policy without peer
  // messages). Any bytes give a message or an error, never a crash; what decodes re-encodes to a
  // message that decodes equal. The peer fuzz target and the conformance tests drive it.
  absl::StatusOr<PeerMessage> (*reencode_peer)(const PeerMessage& m) = nullptr;
  // Optional: true for a peer message of its configuration service rather than its data path
  // (pb and chain: the view service's raft, heartbeats and leases); messages per write count
  // these apart.
  bool (*control_message)(const PeerMessage& m) = nullptr;
  // Relations between parameters that their bounds cannot express (optional).
  absl::Status (*check_params)(const PolicyParams& params) = nullptr;
  NodeFactory make = nullptr;
};

}  // namespace kvlab::core
