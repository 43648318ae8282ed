// SimDisk: the simulated node disk (core::Disk). It models what survives a crash — exactly the
// synced contents, plus optionally a torn prefix of the first unsynced append — and the time
// writes and fsyncs cost, which the simulator charges to the node's CPU via TakeCost().
// Deterministic: files live in an absl::btree_map and every random choice comes from the caller's Rng.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/env.h"
#include "core/rng.h"
#include "core/types.h"
#include "sim/chunked_bytes.h"

namespace kvlab::sim {

struct DiskModel {
  core::Nanos write_latency_ns = 10'000;        // per Append (and per Truncate) call.
  uint64_t write_bytes_per_sec = 1'000'000'000;  // 0 = infinite bandwidth.
  core::Nanos fsync_latency_ns = 1'000'000;      // per Sync, Rename, Remove (1 ms, an SSD fsync).
};

struct DiskStats {
  uint64_t syncs = 0;
  uint64_t appends = 0;
  uint64_t bytes_appended = 0;
  uint64_t torn_writes = 0;
  uint64_t bit_flips = 0;
};

class SimDisk final : public core::Disk {
 public:
  explicit SimDisk(DiskModel model = {}) : model_(model) {}

  // core::Disk
  absl::Status Append(std::string_view file, std::string_view bytes) override;
  absl::Status Sync(std::string_view file) override;
  // A1 replaces: syncs at once and remembers the token as done (no node starts a sync yet).
  void StartSync(std::string_view file, core::SyncToken token) override;
  absl::StatusOr<std::string> Read(std::string_view file) override;
  absl::Status Truncate(std::string_view file, uint64_t size) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::Status Remove(std::string_view file) override;

  // Returns, and resets to zero, the modelled busy time of the calls since the last TakeCost.
  core::Nanos TakeCost();
  // The modelled busy time since the last TakeCost, without resetting it.
  core::Nanos PendingCost() const { return cost_ns_; }

  // A power loss: every file reverts to its synced contents; a file never synced disappears.
  // With `tear`, ONE random file among those with unsynced appends keeps a random strict prefix
  // of its first unsynced append (a torn write).
  void Crash(core::Rng& rng, bool tear);

  // Media corruption: flips one random bit of the synced contents of a random non-empty file.
  // Returns false when every file is empty.
  bool FlipRandomBit(core::Rng& rng);

  // Sorted names of the existing files (for tests and reports).
  std::vector<std::string> FileNames() const;
  const DiskStats& stats() const { return stats_; }
  // A1 replaces: the syncs StartSync finished, oldest first, removed from the disk.
  std::vector<std::pair<core::SyncToken, absl::Status>> TakeSyncsDone() { return std::exchange(syncs_done_, {}); }

 private:
  // What a crash keeps is `current`'s first `synced_size` bytes, unless an unsynced Truncate cut
  // into them: then a copy saved at the cut (`cut_synced`) holds them. One copy of the data in the
  // common case, so a Sync costs O(1), not a copy of what it makes durable.
  struct File {
    ChunkedBytes current;  // what reads see.
    uint64_t synced_size = 0;
    std::string cut_synced;  // the synced contents, only while cut_below_synced.
    // (offset, length) in `current` of each append since the last sync, oldest first.
    std::vector<std::pair<uint64_t, uint64_t>> pending;
    bool ever_synced = false;
    // An unsynced Truncate cut into the synced part: a crash cannot tear on top of it.
    bool cut_below_synced = false;

    uint64_t SyncedSize() const { return cut_below_synced ? cut_synced.size() : synced_size; }
  };

  File* Find(std::string_view file);
  void Charge(core::Nanos ns) { cost_ns_ += ns; }
  // Index-ordered list of files that a torn write could hit.
  std::vector<std::string> TearCandidates() const;

  DiskModel model_;
  absl::btree_map<std::string, File, std::less<>> files_;
  core::Nanos cost_ns_ = 0;
  DiskStats stats_;
  std::vector<std::pair<core::SyncToken, absl::Status>> syncs_done_;  // A1 replaces
};

}  // namespace kvlab::sim
