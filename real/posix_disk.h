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
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "absl/status/statusor.h"
#include "core/env.h"

namespace kvlab::real {

// Zeros written ahead of a preallocated file's data at a time.
inline constexpr uint64_t kDefaultPreallocateChunkBytes = 1024 * 1024;

struct PosixDiskOptions {
  // Names of the files to preallocate (see the header comment), e.g. {core::kWalFileName}.
  std::vector<std::string> preallocate;
  uint64_t preallocate_chunk_bytes = kDefaultPreallocateChunkBytes;
};

class PosixDisk final : public core::Disk {
 public:
  // Creates `dir` if needed and takes an exclusive lock on it (FailedPrecondition if another
  // process holds it: two nodes must never share a data directory).
  static absl::StatusOr<std::unique_ptr<PosixDisk>> Open(const std::string& dir, PosixDiskOptions options = {});
  ~PosixDisk() override;

  absl::Status Append(std::string_view file, std::string_view bytes) override;
  absl::Status Sync(std::string_view file) override;
  absl::StatusOr<std::string> Read(std::string_view file) override;
  absl::Status Truncate(std::string_view file, uint64_t size) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::Status Remove(std::string_view file) override;
  // Minimal: syncs at once and records the completion for TakeSyncCompletions.
  void StartSync(std::string_view file, core::SyncToken token) override { synced_.emplace_back(token, Sync(file)); }
  std::vector<std::pair<core::SyncToken, absl::Status>> TakeSyncCompletions() { return std::exchange(synced_, {}); }

  // Hands every buffered append to the OS (write, no fsync).
  absl::Status FlushBuffers();
  const std::string& dir() const { return dir_; }
  uint64_t fsyncs() const { return fsyncs_; }
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

  const std::string dir_;
  const int dir_fd_;
  const int lock_fd_;
  const PosixDiskOptions options_;
  bool dir_dirty_ = false;  // a file was created since the last directory fsync.
  std::map<std::string, OpenFile, std::less<>> files_;  // few files: WAL, snapshots.
  std::pair<const std::string, OpenFile>* last_ = nullptr;  // files_'s entry used last (map nodes are stable).
  uint64_t fsyncs_ = 0;
  uint64_t preallocations_ = 0;
  std::vector<std::pair<core::SyncToken, absl::Status>> synced_;
};

}  // namespace kvlab::real
