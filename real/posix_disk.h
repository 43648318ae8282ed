// core::Disk over files in one directory (the node's --data-dir), for the real world.
//
// Appends are buffered in memory and reach the OS in one write() per file per turn (FlushBuffers,
// called by the server at the end of every turn, before replies go out) or on Sync, which adds
// fdatasync. A file's creation, a rename and a removal are made durable by fsyncing the directory.
// A process crash (SIGKILL) therefore loses nothing that was acknowledged; a machine crash loses
// what was not Synced (--durability none), as the Disk contract allows.
//
// Preallocated files (PosixDiskOptions::preallocate): the file is extended with zeros written in
// chunks ahead of its data, and appends overwrite those zeros in place. The file's size and block
// map then change once per chunk instead of on every append, so Sync's fdatasync has only data to
// write (no inode update) between chunks. Read returns the zero tail too: only for files whose
// reader treats a zero tail as the end (the WAL: ReadWal cuts it before the first append).
// Closing the disk cuts the tail, so a clean restart finds no zeros.
//
// StartSync (PosixDiskOptions::async_syncs): the turn's buffered appends go to the OS on the
// caller's thread, then a SyncThread runs the fdatasync, so the event loop goes on serving while
// the disk works; the node server watches sync_event_fd() and hands TakeSyncsDone() to the node.
// Without async_syncs (or with kMaxSyncsInFlight syncs already in flight: backpressure), StartSync
// syncs inline and queues the completion (has_syncs_ready()). Either way completions come out in
// the order the syncs were started.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"
#include "real/sync_thread.h"
#include "workloads/histogram.h"

namespace kvlab::real {

// Zeros written ahead of a preallocated file's data at a time.
inline constexpr uint64_t kDefaultPreallocateChunkBytes = 1024 * 1024;

struct PosixDiskOptions {
  // Names of the files to preallocate (see the header comment), e.g. {core::kWalFileName}.
  std::vector<std::string> preallocate;
  uint64_t preallocate_chunk_bytes = kDefaultPreallocateChunkBytes;
  // StartSync's fdatasync runs on a SyncThread (the node turns this on); false: it runs inline.
  bool async_syncs = false;
  // Test/debug only (kvlab node --debug-sync-delay-ms): every sync, StartSync's on the sync
  // thread and Sync's on the caller's, takes this much longer: a slow disk. <= kMaxSyncDelay.
  std::chrono::nanoseconds sync_delay{0};
};

class PosixDisk final : public core::Disk {
 public:
  // Creates `dir` if needed and takes an exclusive lock on it (FailedPrecondition if another
  // process holds it: two nodes must never share a data directory).
  static absl::StatusOr<std::unique_ptr<PosixDisk>> Open(const std::string& dir, PosixDiskOptions options = {});
  ~PosixDisk() override;

  absl::Status Append(std::string_view file, std::string_view bytes) override;
  absl::Status Sync(std::string_view file) override;
  void StartSync(std::string_view file, core::SyncToken token) override;
  absl::StatusOr<std::string> Read(std::string_view file) override;
  absl::Status Truncate(std::string_view file, uint64_t size) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::Status Remove(std::string_view file) override;

  // Hands every buffered append to the OS (write, no fsync).
  absl::Status FlushBuffers();
  // The syncs StartSync started that have finished, oldest first, removed from the disk.
  std::vector<SyncDone> TakeSyncsDone();
  // Started by StartSync and not yet handed out by TakeSyncsDone.
  size_t syncs_outstanding() const;
  // TakeSyncsDone has completions that no eventfd announces (inline syncs, errors): the caller
  // takes them in its next turn without waiting.
  bool has_syncs_ready() const { return !syncs_done_.empty(); }
  // Readable when a sync thread's sync finished; -1 without async_syncs.
  int sync_event_fd() const { return sync_thread_ ? sync_thread_->event_fd() : -1; }
  // Blocks until every started sync has finished (a clean stop), then TakeSyncsDone has them all.
  void WaitForSyncs();
  const std::string& dir() const { return dir_; }
  uint64_t fsyncs() const { return fsyncs_; }
  // How long each fdatasync took (ns), on the sync thread or inline, since the disk opened:
  // INFO persistence publishes its percentiles (the device as it was during a run, which
  // bench/sim_vs_real.py hands to the simulator).
  const workloads::Histogram& sync_latency() const { return sync_latency_; }
  // Chunks of zeros written ahead of preallocated files' data.
  uint64_t preallocations() const { return preallocations_; }

 private:
  struct OpenFile {
    int fd = -1;
    std::string pending;  // appended, not yet written.
    // Preallocated files only (fd opened without O_APPEND): where the next bytes go, and the
    // file's size (data plus the zeros ahead of it).
    bool preallocated = false;
    uint64_t end = 0;
    uint64_t allocated = 0;
  };

  PosixDisk(std::string dir, int dir_fd, int lock_fd, PosixDiskOptions options)
      : dir_(std::move(dir)), dir_fd_(dir_fd), lock_fd_(lock_fd), options_(std::move(options)) {}
  bool Preallocates(std::string_view file) const;
  // Writes `bytes` where the file's data ends (O_APPEND, or at `end` when preallocated).
  absl::Status WriteData(std::string_view file, OpenFile& f, std::string_view bytes);
  absl::Status ExtendWithZeros(std::string_view file, OpenFile& f);
  std::string Path(std::string_view file) const;
  absl::StatusOr<OpenFile*> OpenForAppend(std::string_view file);
  absl::Status WritePending(std::string_view file, OpenFile& f);
  absl::Status FlushFile(std::string_view file);
  void CloseFile(std::string_view file);
  absl::Status SyncDir();
  // fdatasync on the caller's thread (after the test-only delay), and the directory if dirty.
  absl::Status SyncInline(std::string_view file, OpenFile& f);

  const std::string dir_;
  const int dir_fd_;
  const int lock_fd_;
  const PosixDiskOptions options_;
  bool dir_dirty_ = false;                                  // a file was created since the last directory fsync.
  std::map<std::string, OpenFile, std::less<>> files_;      // few files: WAL, snapshots.
  std::pair<const std::string, OpenFile>* last_ = nullptr;  // files_'s entry used last (map nodes are stable).
  uint64_t fsyncs_ = 0;
  workloads::Histogram sync_latency_;  // ns per fdatasync.
  uint64_t preallocations_ = 0;
  std::unique_ptr<SyncThread> sync_thread_;  // null without async_syncs.
  std::vector<SyncDone> syncs_done_;         // finished inline, or taken from the thread early.
};

}  // namespace kvlab::real
