// `kvlab merge`: the JSON lines of sweep shards (sim --seeds A..B --shard I/N --json, one file per
// Slurm array task, Kubernetes Indexed Job pod or GNU parallel job) combined into one summary:
// pass/fail counts per policy and fault mode, every failing seed with its replay line, and the
// distribution of throughput across seeds. The merged runs can be written back, sorted and without
// wall-clock fields, so a sharded sweep compares byte for byte with the same sweep run in one go.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kvlab::workloads {

struct MergeResult {
  std::vector<nlohmann::json> runs;     // sorted by scenario, policy, fault mode, seed; wall_s removed.
  std::vector<std::string> duplicates;  // runs present in more than one shard (same key, kept once).
  int failed = 0;
};

// Sorts and de-duplicates. InvalidArgument when two copies of one run disagree (different trace
// hash): the shards did not come from the same build or flags.
absl::StatusOr<MergeResult> MergeRuns(std::vector<nlohmann::json> runs);

// The summary: counts per (scenario, policy, fault mode), failing seeds with replay lines and
// problems, throughput min/p10/median/p90/max per (scenario, policy).
std::string FormatMerge(const MergeResult& merged);

}  // namespace kvlab::workloads
