// Seed sweeps: `--seeds A..B` (inclusive) and `--shard I/N` (this machine runs every N-th seed,
// starting at the I-th, 0-based), so any batch system can spread a sweep over many machines and
// merge the results by concatenation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kvlab::sim {

// A sweep never holds more seeds than this (a larger one is a typo, not a plan).
inline constexpr uint64_t kMaxSeedsPerSweep = 10'000'000;

struct SeedRange {
  uint64_t first = 1;
  uint64_t last = 1;  // inclusive
};

struct Shard {
  uint64_t index = 0;
  uint64_t count = 1;
};

// "A..B" or a single "S". InvalidArgument with the reason otherwise.
absl::StatusOr<SeedRange> ParseSeedRange(const std::string& text);
// "I/N" with 0 <= I < N.
absl::StatusOr<Shard> ParseShard(const std::string& text);
// The seeds of `range` that belong to `shard`, in increasing order.
std::vector<uint64_t> SeedsOfShard(const SeedRange& range, const Shard& shard);

}  // namespace kvlab::sim
