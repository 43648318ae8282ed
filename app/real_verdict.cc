#include "app/real_verdict.h"

#include "absl/strings/str_cat.h"
#include "core/policy/registry.h"
#include "sim/verdict.h"
#include "workloads/checker.h"

namespace kvlab::app {
namespace {

// An eventual policy's figures; for the read-latest promise a stale read is a violation.
workloads::CheckResult JudgeEventual(real::BenchOutcome& outcome, bool read_latest) {
  workloads::CheckResult check = workloads::CheckEventual(outcome.history);
  const workloads::StalenessStats& st = check.staleness;
  workloads::RunReport& report = outcome.report;
  report.metrics["stale_reads"] = static_cast<double>(st.stale_reads);
  report.metrics["stale_read_rate"] = st.reads == 0 ? 0 : static_cast<double>(st.stale_reads) / st.reads;
  report.metrics["max_staleness_ms"] = static_cast<double>(st.max_staleness_ns) / 1e6;
  const workloads::CheckResult lin = workloads::CheckLinearizable(outcome.history);
  report.metrics["linearizability_violations"] = static_cast<double>(lin.violations.size());
  if (read_latest && st.stale_reads > 0) {
    check.ok = false;
    check.violations.push_back(workloads::Violation{
        .key = "",
        .reason = absl::StrCat(st.stale_reads, " of ", st.reads,
                               " reads missed a write acknowledged before they began: the promise (R + W > N, "
                               "strict quorum) is read-latest"),
        .ops = {}});
  }
  return check;
}

}  // namespace

void JudgeByPromise(real::BenchOutcome& outcome) {
  absl::StatusOr<core::PolicyChoice> policy = core::ParsePolicyChoice(outcome.report.policy);
  if (!policy.ok()) return;
  workloads::CheckResult check;
  switch (core::PromiseOf(*policy)) {
    case core::Consistency::kLinearizable: return;  // kvlab bench's own check.
    case core::Consistency::kEventual: check = JudgeEventual(outcome, /*read_latest=*/false); break;
    case core::Consistency::kEventualReadLatest: check = JudgeEventual(outcome, /*read_latest=*/true); break;
    case core::Consistency::kLinearizableUntilFailover: {
      sim::FailoverVerdict failover = sim::CheckLinearizableUntilFailover(outcome.history);
      outcome.report.metrics["lost_acked_writes"] = static_cast<double>(failover.lost_acked_writes);
      outcome.report.metrics["lost_write_keys"] = static_cast<double>(failover.lost_write_keys);
      check = std::move(failover.check);
      break;
    }
  }
  outcome.report.check = workloads::Summarize(check);
  outcome.check_details = check.ok ? "" : workloads::FormatCheckResult(check);
}

}  // namespace kvlab::app
