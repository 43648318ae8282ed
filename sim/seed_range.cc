#include "sim/seed_range.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kvlab::sim {

absl::StatusOr<SeedRange> ParseSeedRange(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, "..");
  SeedRange range;
  if (parts.size() == 1 && absl::SimpleAtoi(parts[0], &range.first)) {
    range.last = range.first;
    return range;
  }
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &range.first) || !absl::SimpleAtoi(parts[1], &range.last)) {
    return absl::InvalidArgumentError(absl::StrCat("--seeds '", text, "': expected A..B with integers A <= B"));
  }
  if (range.first > range.last) {
    return absl::InvalidArgumentError(absl::StrCat("--seeds '", text, "': first seed is above the last"));
  }
  if (range.last - range.first >= kMaxSeedsPerSweep) {
    return absl::InvalidArgumentError(absl::StrCat("--seeds '", text, "': more than ", kMaxSeedsPerSweep, " seeds"));
  }
  return range;
}

absl::StatusOr<Shard> ParseShard(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  Shard shard;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shard.index) || !absl::SimpleAtoi(parts[1], &shard.count) ||
      shard.count == 0 || shard.index >= shard.count) {
    return absl::InvalidArgumentError(absl::StrCat("--shard '", text, "': expected I/N with 0 <= I < N"));
  }
  return shard;
}

std::vector<uint64_t> SeedsOfShard(const SeedRange& range, const Shard& shard) {
  std::vector<uint64_t> seeds;
  for (uint64_t s = range.first;; ++s) {
    if ((s - range.first) % shard.count == shard.index) seeds.push_back(s);
    if (s == range.last) break;
  }
  return seeds;
}

}  // namespace kvlab::sim
