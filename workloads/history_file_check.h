// Checking a history file of any size with bounded memory (`kvlab check`).
//
// Both checkers decide each key on its own (a history is linearizable iff every key's is; the
// eventual model's rules are per key too), so a file larger than one bucket is checked in two
// passes: the first parses it line by line and spills each operation, in a compact binary form,
// to one of B bucket files chosen by a hash of its key (every op of a key lands in one bucket, in
// file order); the second loads one bucket at a time per thread, checks it, and merges the verdicts
// (violations and inconclusive keys in key order, as the in-memory checker reports them). Memory
// is bounded by the largest bucket, about bucket_bytes of history text, unless one key alone has
// more operations than that (a key cannot be split).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "workloads/checker.h"

namespace kvlab::workloads {

inline constexpr size_t kDefaultCheckBucketBytes = size_t{64} << 20;  // of history text per bucket.
inline constexpr size_t kMaxCheckBuckets = 1024;                      // spill files per part of the file.
inline constexpr size_t kMaxCheckThreads = 8;                         // each holds one bucket in memory at a time.

enum class CheckModel { kLinearizable, kEventual };

struct HistoryFileCheck {
  CheckResult result;
  uint64_t lines = 0;    // operations read.
  uint64_t buckets = 1;  // 1: checked in memory, no spill files.
};

struct FileCheckOptions {
  CheckOptions check;
  size_t bucket_bytes = kDefaultCheckBucketBytes;
  std::string spill_dir;  // where the bucket files go (a fresh folder inside it); "": the temp dir.
  size_t threads = 0;     // parts parsed and buckets checked at once; 0: the cores (at most kMaxCheckThreads).
};

// Errors: kNotFound (cannot open), kInvalidArgument ("PATH: line N: why"), kUnavailable (spill
// files cannot be written).
absl::StatusOr<HistoryFileCheck> CheckHistoryFile(const std::string& path, CheckModel model,
                                                  const FileCheckOptions& options = {});

}  // namespace kvlab::workloads
