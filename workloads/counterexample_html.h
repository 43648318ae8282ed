// The counterexample viewer (issue 16): a linearizability violation drawn as one self-contained
// HTML page (inline SVG, CSS and a few lines of JS; no network access), in the manner of
// Porcupine's visualisation plus the run's faults: per violating key, the smallest sub-history the
// checker found still not linearizable, one time line per client, each operation a bar from its
// invocation to its completion, and the fault events of the run on the same time axis.
#pragma once

#include <string>
#include <vector>

#include "core/types.h"
#include "workloads/checker.h"

namespace kvlab::workloads {

// A fault event on the history's clock (the same nanoseconds as HistoryOp::invoke_ns).
struct FaultMark {
  core::Nanos at = 0;
  std::string kind;
  core::NodeId node = core::kNoNode;
};

// The page for `result` (a passing result gives a page that says so). `title` heads it.
std::string CounterexampleHtml(const CheckResult& result, const std::vector<FaultMark>& faults,
                               const std::string& title);

}  // namespace kvlab::workloads
