// A run on real processes judged by its policy's declared promise, as the simulator judges its runs
// (sim/run.cc FillReport): kvlab bench checks linearizability, which is the promise of single,
// raft, abd, pb sync and chain; pb async may lose the acknowledged writes of the replication lag on
// failover (counted as lost_acked_writes, a figure, not a failure); quorum is eventual (stale reads
// and linearizability violations are figures; with R + W > N and no sloppy quorum a stale read
// fails the run). Lives in app/ because the failover verdict is the simulator's (sim/verdict.h).
#pragma once

#include "real/bench_run.h"

namespace kvlab::app {

// Re-checks `outcome` (its report's policy label names the policy; an external label such as
// "redis" leaves the linearizable check as it is) and replaces its check and details.
void JudgeByPromise(real::BenchOutcome& outcome);

}  // namespace kvlab::app
