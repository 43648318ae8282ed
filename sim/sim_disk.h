// SimDisk: the simulated node disk (core::Disk). Per file it keeps a durable image and the log of
// operations (appends, truncates) issued since; what a crash keeps is the durable image, plus for
// a torn crash an in-order prefix of one file's pending operations whose last append may be cut.
// An asynchronous sync (StartSync) waits in the node's device queue (FIFO, one at a time); the
// runtime starts it (BeginNextSync draws its latency) and completes it (CompleteSync), which makes
// durable exactly the operations issued before the StartSync. A blocking Sync is durable at once
// and charges its time to the node's turn (TakeCost), like writes. Injected I/O errors (EIO) fail
// writes or syncs until the next crash. An asynchronous sync's latency is drawn from the model's
// fsync distribution (its quantile table, see sim/default_costs.h), scaled to the model's median,
// plus optional jitter and hiccups. Every sync, blocking or not, also pays the write-back of the
// bytes appended to its file since that file's last sync at DiskModel::sync_bytes_per_sec: a
// 64 MiB snapshot's sync takes tens of ms, not a small write's 0.1 ms. Deterministic: files live in an absl::btree_map
// and every random choice comes from the caller's Rng.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/env.h"
#include "core/rng.h"
#include "core/types.h"
#include "sim/chunked_bytes.h"
#include "sim/default_costs.h"

namespace kvlab::sim {

// The write-back bandwidth of this project's 2-core VM (ext4 on a virtio disk): 64 MiB written to
// a fresh file in /tmp, then one fdatasync, took 25-26 ms (2.5-2.6 GiB/s; 256 MiB: 78 ms), twice
// in a row, measured with a 10-line Python script (os.write of 1 MiB x 64, os.fdatasync timed
// alone) on 2026-12-03; `dd if=/dev/zero bs=1M count=64 conv=fdatasync` agreed (1.7 GB/s for the
// write and the sync together). Rounded down to 2.6 GB/s.
inline constexpr uint64_t kLoopbackSyncBytesPerSec = 2'600'000'000;

struct DiskModel {
  core::Nanos write_latency_ns = kLoopbackDiskWriteNs;  // per Append (and per Truncate) call.
  uint64_t write_bytes_per_sec = 1'000'000'000;         // 0 = infinite bandwidth.
  // The median sync: per blocking Sync, Rename, Remove; an asynchronous sync draws from
  // fsync_quantiles scaled by fsync_latency_ns / fsync_quantiles.p50 (a table with p50 = 0: a
  // constant fsync_latency_ns).
  core::Nanos fsync_latency_ns = kLoopbackCosts.fsync.p50;
  FsyncQuantiles fsync_quantiles = kLoopbackCosts.fsync;
  core::Nanos fsync_jitter_ns = 0;  // an asynchronous sync adds uniform [0, this],
  uint32_t fsync_slow_ppm = 0;      // and with this probability, parts per million,
  core::Nanos fsync_slow_ns = 0;    // this (a device hiccup beyond the measured tail).
  // The host's devices every node's syncs share (UnitPool: a loopback cluster's nodes write one
  // filesystem, whose journal commits their fsyncs one after another); 0: a device per node.
  int shared_devices = kLoopbackCosts.disk_devices;
  // Write-back bandwidth: a sync also takes (bytes appended to its file since its last sync) /
  // this. 0 = infinite (the model before the large-value bug, where a sync cost the same at any
  // size).
  uint64_t sync_bytes_per_sec = kLoopbackSyncBytesPerSec;
};

// How long `bytes` take at `bytes_per_sec` (0: infinitely fast).
core::Nanos TransferNs(uint64_t bytes, uint64_t bytes_per_sec);

// One draw of the piecewise-linear inverse CDF of `q` (see FsyncQuantiles): u uniform in parts
// per million from `rng`. REQUIRES: q non-decreasing.
core::Nanos SampleFsync(const FsyncQuantiles& q, core::Rng& rng);

struct DiskStats {
  uint64_t syncs = 0;
  uint64_t appends = 0;
  uint64_t bytes_appended = 0;
  uint64_t torn_writes = 0;
  uint64_t bit_flips = 0;
  uint64_t syncs_lost = 0;    // queued or running syncs a crash cut off.
  uint64_t write_errors = 0;  // injected write/truncate failures returned.
  uint64_t sync_errors = 0;   // injected sync failures returned.
};

// The outcome of one asynchronous sync, for Node::OnSyncDone.
struct SyncCompletion {
  core::SyncToken token = 0;
  absl::Status status;
};

class SimDisk final : public core::Disk {
 public:
  explicit SimDisk(DiskModel model = {}) : model_(model) {}

  // core::Disk
  absl::Status Append(std::string_view file, std::string_view bytes) override;
  absl::Status Sync(std::string_view file) override;
  absl::StatusOr<std::string> Read(std::string_view file) override;
  absl::Status Truncate(std::string_view file, uint64_t size) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::Status Remove(std::string_view file) override;
  void StartSync(std::string_view file, core::SyncToken token) override;

  // The device queue. True when a sync waits and none is running: the runtime should start it.
  bool DeviceIdleWithWork() const { return !queue_.empty() && !queue_.front().running; }
  // Starts the sync at the queue's head; returns its latency, drawn from `rng`.
  core::Nanos BeginNextSync(core::Rng& rng);
  // Completes the running sync: its file's operations issued before its StartSync become durable
  // (unless syncs fail now: then nothing does, and the status is EIO).
  SyncCompletion CompleteSync();
  size_t queued_syncs() const { return queue_.size(); }

  // Injected I/O errors (EIO) on every Append/Truncate, or every sync, until the next crash.
  void FailWrites(bool fail) { fail_writes_ = fail; }
  void FailSyncs(bool fail) { fail_syncs_ = fail; }
  bool injecting_errors() const { return fail_writes_ || fail_syncs_; }

  // Returns, and resets to zero, the modelled busy time of the calls since the last TakeCost.
  core::Nanos TakeCost();
  // The modelled busy time since the last TakeCost, without resetting it.
  core::Nanos PendingCost() const { return cost_ns_; }

  // A power loss: every file reverts to its durable image; a file never synced disappears; the
  // device queue is lost (syncs_lost). With `tear`, ONE random file among those with pending
  // operations keeps a random in-order prefix of them, the last append cut to a random strict
  // prefix (a torn write). Clears injected errors (the node restarts on healthy hardware).
  void Crash(core::Rng& rng, bool tear);

  // Media corruption: flips one random bit of the synced contents of a random non-empty file.
  // Returns false when every file is empty.
  bool FlipRandomBit(core::Rng& rng);

  // Sorted names of the existing files (for tests and reports).
  std::vector<std::string> FileNames() const;
  const DiskStats& stats() const { return stats_; }

 private:
  // An operation not yet covered by a completed sync.
  struct Op {
    uint64_t seq = 0;  // issue order, over all files.
    bool truncate = false;
    uint64_t offset = 0;  // append: where it went; truncate: the new size.
    uint64_t length = 0;  // append: how many bytes.
    bool copied = false;  // a later truncate cut into it: its bytes are in `bytes`.
    std::string bytes;
  };
  // The durable image is `current`'s first durable_size bytes, unless a truncate cut into them
  // or an append a truncate cut into became durable: then it is the explicit copy `durable`.
  // One copy of the data in the common case, so completing a sync costs O(operations).
  struct File {
    ChunkedBytes current;  // what reads see.
    uint64_t durable_size = 0;
    bool durable_copied = false;
    std::string durable;
    std::deque<Op> ops;
    bool ever_synced = false;

    uint64_t DurableSize() const { return durable_copied ? durable.size() : durable_size; }
  };
  struct QueuedSync {
    std::string file;
    core::SyncToken token = 0;
    uint64_t before_seq = 0;  // covers the operations issued before this.
    bool running = false;
  };

  File* Find(std::string_view file);
  void Charge(core::Nanos ns) { cost_ns_ += ns; }
  absl::Status InjectedWriteError(std::string_view file);
  // Bytes of the appends of `f` issued before `before_seq` and not yet durable: what a sync
  // covering them must write back.
  static uint64_t UnsyncedBytes(const File& f, uint64_t before_seq);
  // Makes the operations of `f` issued before `before_seq` durable, in order.
  static void MakeDurable(File& f, uint64_t before_seq);
  static void ApplyToDurable(File& f, const Op& op);
  // Sets `current` to the durable image and forgets the pending operations.
  static void RevertToDurable(File& f);
  // A torn crash of `f`: keeps a random prefix of its pending operations.
  static void TearFile(File& f, core::Rng& rng);

  DiskModel model_;
  absl::btree_map<std::string, File, std::less<>> files_;
  core::Nanos cost_ns_ = 0;
  uint64_t next_seq_ = 1;
  std::deque<QueuedSync> queue_;
  bool fail_writes_ = false;
  bool fail_syncs_ = false;
  DiskStats stats_;
};

}  // namespace kvlab::sim
