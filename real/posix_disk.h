// core::Disk over files in one directory (the node's --data-dir), for the real world.
//
// Appends are buffered in memory and reach the OS in one write() per file per turn (FlushBuffers,
// called by the server at the end of every turn, before replies go out) or on Sync, which adds
// fdatasync. A file's creation, a rename and a removal are made durable by fsyncing the directory.
// A process crash (SIGKILL) therefore loses nothing that was acknowledged; a machine crash loses
// what was not Synced (--durability none), as the Disk contract allows.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <map>
#include "absl/status/statusor.h"
#include "core/env.h"

namespace kvlab::real {

class PosixDisk final : public core::Disk {
 public:
  // Creates `dir` if needed and takes an exclusive lock on it (FailedPrecondition if another
  // process holds it: two nodes must never share a data directory).
  static absl::StatusOr<std::unique_ptr<PosixDisk>> Open(const std::string& dir);
  ~PosixDisk() override;

  absl::Status Append(std::string_view file, std::string_view bytes) override;
  absl::Status Sync(std::string_view file) override;
  absl::StatusOr<std::string> Read(std::string_view file) override;
  absl::Status Truncate(std::string_view file, uint64_t size) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::Status Remove(std::string_view file) override;

  // Hands every buffered append to the OS (write, no fsync).
  absl::Status FlushBuffers();
  const std::string& dir() const { return dir_; }
  uint64_t fsyncs() const { return fsyncs_; }

 private:
  struct OpenFile {
    int fd = -1;
    std::string pending;  // appended, not yet written.
  };

  PosixDisk(std::string dir, int dir_fd, int lock_fd) : dir_(std::move(dir)), dir_fd_(dir_fd), lock_fd_(lock_fd) {}
  std::string Path(std::string_view file) const;
  absl::StatusOr<OpenFile*> OpenForAppend(std::string_view file);
  absl::Status WritePending(std::string_view file, OpenFile& f);
  absl::Status FlushFile(std::string_view file);
  void CloseFile(std::string_view file);
  absl::Status SyncDir();

  const std::string dir_;
  const int dir_fd_;
  const int lock_fd_;
  bool dir_dirty_ = false;  // a file was created since the last directory fsync.
  std::map<std::string, OpenFile, std::less<>> files_;  // few files: WAL, snapshots.
  uint64_t fsyncs_ = 0;
};

}  // namespace kvlab::real
