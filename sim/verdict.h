// The verdicts of a simulated run beyond the history checker (DESIGN.md "Histories and verdicts"):
// once faults have healed the cluster must make progress (a probe write and read through every
// live node), a node may refuse to start only when a fault corrupted its synced data, and the
// replicas of a replicated policy must converge: equal state checksums at equal applied index.
#pragma once

#include <string>
#include <vector>

#include "core/types.h"
#include "sim/faults.h"
#include "sim/simulator.h"
#include "workloads/checker.h"
#include "workloads/history.h"
#include "workloads/runtime.h"

namespace kvlab::sim {

// After the quiesce (everything healed and restarted), a probe write and read through every live
// node must both succeed within this much virtual time: several election timeouts and a client
// timeout or two, far less than the read-back's kRecoveryDeadline.
inline constexpr core::Nanos kProgressBound = core::Seconds(10);
// A failed probe request is tried again after this long.
inline constexpr core::Nanos kProbeRetryInterval = core::Millis(10);
// After the read-back, lagging replicas get this long to reach the highest applied index before
// the replicas are compared; one still behind then is a failure.
inline constexpr core::Nanos kSettleBound = core::Seconds(10);

// Nodes that are up, started and not stopped by a storage failure, in id order.
std::vector<core::NodeId> LiveNodes(Simulator& sim);

struct ProbeResult {
  bool ok = false;
  core::Nanos took_ns = 0;  // from the start of the probe to its last success (when ok).
  std::string failure;      // which node's probe did not succeed, and its last error.
};

// Writes a probe key through each node of `nodes` (client connection node-1 reaches node `node`)
// and reads it back through the same node, each retried until it succeeds or `deadline` passes.
// The probe keys are outside the workload's key space and not recorded in its history.
// REQUIRES: called from a fiber of `rt`.
ProbeResult ProbeProgress(workloads::Runtime& rt, const std::vector<core::NodeId>& nodes, core::Nanos deadline);

// Runs the simulator until every live node has applied the highest index any of them has applied
// (or `settle` passes), then compares the live replicas' state checksums at that index. Returns
// one line per problem: a node that did not catch up, or two nodes that diverge, naming a key that
// differs. Nothing to compare with fewer than two live nodes or a policy without applied indexes.
// A policy that places each key on a few nodes (core::Node::ReplicasOf non-empty) is compared key
// by key instead: the simulator runs (in steps of kKeyConvergenceStep) until every key's live
// replicas hold equal entries, or `settle` passes; each key still differing is a problem.
// `*converged_after` (if given) receives the virtual time that took.
std::vector<std::string> CheckConvergence(Simulator& sim, core::Nanos settle, core::Nanos* converged_after = nullptr);
inline constexpr core::Nanos kKeyConvergenceStep = core::Millis(10);
inline constexpr size_t kMaxReportedDivergentKeys = 5;

// The verdict of a policy that promises linearizability until a failover (pb async): it may lose
// the acknowledged writes of the replication lag when its primary is lost, and nothing else.
// The history is checked key by key (P-compositionality). A key that is linearizable as it
// stands passes. A key that is not is checked again with its acknowledged writes that no read
// observed demoted to "unknown" (they may have taken effect, or been lost; dels carry no value
// and are always demoted): if it is linearizable then, the only anomaly on it is lost
// acknowledged writes, counted as a figure and not a failure; if it still is not (a value nobody
// wrote, reads going back and forth), the run fails. Honest limit: on a key that lost a write
// the demotion also excuses a read that missed an unobserved write of that key; every other key
// is held to full linearizability.
struct FailoverVerdict {
  workloads::CheckResult check;
  uint64_t lost_write_keys = 0;    // keys whose history needed the demotion.
  uint64_t lost_acked_writes = 0;  // on those keys: acknowledged writes that the final read
                                   // shows were lost (invoked after the write it returned had
                                   // completed, and completed before that read began).
};
FailoverVerdict CheckLinearizableUntilFailover(const std::vector<workloads::HistoryOp>& history);

struct RefusalVerdict {
  std::vector<std::string> problems;  // refusals no fault explains.
  std::vector<std::string> notes;     // refusals that were the correct outcome.
  int justified = 0;                  // nodes that refused corrupt data.
};

// A node that failed to start after a restart refused its data. That is correct only for a node
// whose synced data had a bit flipped (the error must then be DataLoss); any other refusal is a
// failure.
RefusalVerdict JudgeRefusals(const FaultInjector& injector);

}  // namespace kvlab::sim
