// Which files each policy keeps in a node's data dir, from the policy registry (PolicyInfo's
// log_file, snapshot_file and inspect), so that the node's start-up check and `kvlab wal` can
// tell whose files a directory holds.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"

namespace kvlab::real {

struct PolicyFiles {
  const char* policy = "";
  const char* log = "";       // a WAL-format log (core::ReadWal reads it); repairable by cutting.
  const char* snapshot = "";  // replaced atomically, never cut.
  // Recovers the policy's durable state from `disk` with the core's own readers, as the node does
  // at start (it may cut a torn tail: pass a disk that can take it, e.g. an OverlayDisk). A
  // summary of what was recovered, or the core's error (DataLoss for corruption).
  absl::StatusOr<std::string> (*recover)(core::Disk& disk) = nullptr;
};

// Every policy that keeps files of its own, in a fixed order.
const std::vector<PolicyFiles>& AllPolicyFiles();
// The row of `policy`, or nullptr if it keeps no files of its own.
const PolicyFiles* FilesOf(std::string_view policy);

// A policy's files found in a directory.
struct FilesFound {
  std::string policy;
  std::vector<std::string> files;  // the names present, log first.
};
// The policies that have at least one file in `dir` (empty for a new or missing dir).
std::vector<FilesFound> PoliciesWithFiles(const std::string& dir);

}  // namespace kvlab::real
