#include "sim/shrink.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kvlab::sim {
namespace {

ShrinkStats StatsOf(const SimRunOptions& o, const SimRunOutcome& outcome) {
  return ShrinkStats{.faults = static_cast<int>(outcome.report.faults.size()),
                     .ops = outcome.report.ops,
                     .clients = o.scenario.clients,
                     .keys = o.scenario.keys,
                     .scheduled_faults = static_cast<int>(o.scenario.faults.size()),
                     .random_faults = std::string(FaultModeName(o.faults))};
}

std::string DescribeFault(const workloads::FaultSpec& f) {
  std::string text = absl::StrCat(f.kind, " at ", workloads::FormatDuration(f.at));
  if (f.node != core::kNoNode) absl::StrAppend(&text, " node ", f.node);
  if (!f.nodes.empty()) absl::StrAppend(&text, " nodes ", absl::StrJoin(f.nodes, ","));
  return text;
}

// The search state: the smallest failing run so far and the budget left.
class Shrinker {
 public:
  Shrinker(const SimRunOptions& start, SimRunOutcome outcome, int max_runs, ShrinkProgress progress)
      : best_(start),
        outcome_(std::move(outcome)),
        signature_(FailureSignature(outcome_)),
        max_runs_(max_runs),
        progress_(std::move(progress)) {}

  // Runs `candidate`: true (and it becomes the best) when it fails the same way.
  bool Try(const SimRunOptions& candidate, const std::string& what) {
    if (runs_ >= max_runs_) return false;
    ++runs_;
    absl::StatusOr<SimRunOutcome> outcome = RunSimulation(candidate);
    const bool same = outcome.ok() && !outcome->ok() && FailureSignature(*outcome) == signature_;
    if (progress_) progress_(absl::StrCat("run ", runs_, ": ", what, same ? ": still fails" : ": passes or differs"));
    if (!same) return false;
    best_ = candidate;
    outcome_ = *std::move(outcome);
    removed_.push_back(what);
    return true;
  }

  // ddmin over the scheduled faults: remove chunks of halving size while the run keeps failing.
  void ShrinkSchedule() {
    size_t chunk = std::max<size_t>(1, best_.scenario.faults.size() / 2);
    while (!best_.scenario.faults.empty() && runs_ < max_runs_) {
      bool removed_any = false;
      for (size_t start = 0; start < best_.scenario.faults.size() && runs_ < max_runs_;) {
        SimRunOptions candidate = best_;
        auto& faults = candidate.scenario.faults;
        const size_t end = std::min(faults.size(), start + chunk);
        std::vector<std::string> gone;
        for (size_t i = start; i < end; ++i) gone.push_back(DescribeFault(faults[i]));
        faults.erase(faults.begin() + static_cast<long>(start), faults.begin() + static_cast<long>(end));
        if (Try(candidate, absl::StrCat("removed scheduled fault(s): ", absl::StrJoin(gone, "; ")))) {
          removed_any = true;  // the same start now names the next chunk.
        } else {
          start = end;
        }
      }
      if (chunk == 1 && !removed_any) break;
      if (!removed_any) chunk = std::max<size_t>(1, chunk / 2);
    }
  }

  void DropRandomFaults() {
    if (best_.faults == FaultMode::kNone) return;
    SimRunOptions candidate = best_;
    candidate.faults = FaultMode::kNone;
    Try(candidate, absl::StrCat("random faults ", std::string(FaultModeName(best_.faults)), " -> none"));
  }

  // Halves a count while the run keeps failing, then tries three quarters once more.
  template <typename T>
  void Halve(const char* name, T min, T workloads::Scenario::*field) {
    while (best_.scenario.*field > min && runs_ < max_runs_) {
      const T now = best_.scenario.*field;
      bool smaller = false;
      for (T next : {std::max(min, now / 2), std::max(min, now - now / 4)}) {
        if (next >= now) continue;
        SimRunOptions candidate = best_;
        candidate.scenario.*field = next;
        if (Try(candidate, absl::StrCat(name, " ", now, " -> ", next))) {
          smaller = true;
          break;
        }
      }
      if (!smaller) return;
    }
  }

  void Finish(ShrinkResult& result) {
    result.smallest = best_;
    result.outcome = std::move(outcome_);
    result.signature = signature_;
    result.after = StatsOf(result.smallest, result.outcome);
    result.removed = std::move(removed_);
    result.runs = runs_;
  }

  int runs() const { return runs_; }

 private:
  SimRunOptions best_;
  SimRunOutcome outcome_;
  std::string signature_;
  int max_runs_;
  ShrinkProgress progress_;
  int runs_ = 0;
  std::vector<std::string> removed_;
};

}  // namespace

std::string FailureSignature(const SimRunOutcome& outcome) {
  std::vector<std::string> kinds;
  if (outcome.report.check && !outcome.report.check->ok) kinds.push_back("check " + outcome.report.check->model);
  for (const std::string& p : outcome.problems) kinds.push_back(p.substr(0, p.find(':')));
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  return absl::StrJoin(kinds, " + ");
}

absl::StatusOr<ShrinkResult> Shrink(const SimRunOptions& options, int max_runs, const ShrinkProgress& progress) {
  SimRunOptions start = options;
  start.progress = false;
  start.trace_path.clear();
  absl::StatusOr<SimRunOutcome> first = RunSimulation(start);
  if (!first.ok()) return first.status();
  if (first->ok()) return absl::FailedPreconditionError("the run passes: there is no failure to shrink");
  ShrinkResult result;
  result.before = StatsOf(start, *first);
  Shrinker shrinker(start, *std::move(first), std::clamp(max_runs, 0, kMaxShrinkRuns), progress);
  // Whole dimensions first (cheap, big wins), then the fine steps; twice, since a smaller run can
  // free a fault that was needed before.
  for (int pass = 0; pass < 2; ++pass) {
    shrinker.DropRandomFaults();
    shrinker.ShrinkSchedule();
    shrinker.Halve<uint64_t>("ops", 1, &workloads::Scenario::ops);
    shrinker.Halve<int>("clients", 1, &workloads::Scenario::clients);
    shrinker.Halve<uint64_t>("keys", 1, &workloads::Scenario::keys);
  }
  shrinker.Finish(result);
  return result;
}

}  // namespace kvlab::sim
