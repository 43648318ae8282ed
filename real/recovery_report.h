// What a node's start-up recovered from its data dir, as log lines (one fact each, as Redis logs
// its AOF loading): snapshot loaded, log records replayed, keys recovered, a torn tail cut. The
// figures come from the policy's Info() and the files themselves; the core is not asked for more.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "real/data_dir_layout.h"

namespace kvlab::real {

// A backwards scan for zeros stops after this many bytes (preallocation adds at most one chunk).
inline constexpr uint64_t kMaxZeroTailScanBytes = 64ull * 1024 * 1024;

// A log file as it was before recovery touched it.
struct LogFileBefore {
  bool exists = false;
  uint64_t size = 0;
  uint64_t zero_tail = 0;  // trailing zero bytes (preallocated space), up to kMaxZeroTailScanBytes.
};
LogFileBefore InspectLogFile(const std::string& path);

struct RecoveryFacts {
  std::string dir;
  PolicyFiles files;
  LogFileBefore log_before;
  std::vector<std::pair<std::string, std::string>> info;  // the policy's Info() after Start.
  size_t keys = 0;                                        // its KeyCount() after Start.
};

// The lines to log; empty when the data dir held nothing to recover.
std::vector<std::string> RecoveryLines(const RecoveryFacts& facts);

}  // namespace kvlab::real
