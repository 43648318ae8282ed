// A core::Disk over a directory that never writes to it: a file is read from the directory on its
// first use, and every change (append, truncate, rename, remove) stays in memory. The core's own
// readers (core::ReadWal, KvStore::Open, RaftStorage::Recover) cut torn tails and remove leftover
// tmp files as they recover; over this disk they can inspect a data dir (`kvlab wal check`)
// without changing it, even while a node runs on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"

namespace kvlab::real {

class OverlayDisk final : public core::Disk {
 public:
  explicit OverlayDisk(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Append(std::string_view file, std::string_view bytes) override;
  absl::Status Sync(std::string_view file) override;
  // Nothing reaches the directory, so there is nothing to sync, and no node runs on this disk to
  // hear of a completion: a no-op.
  void StartSync(std::string_view, core::SyncToken) override {}
  absl::StatusOr<std::string> Read(std::string_view file) override;
  absl::Status Truncate(std::string_view file, uint64_t size) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::Status Remove(std::string_view file) override;

  // Replaces the in-memory view of `file` (it need not exist in the directory).
  void Put(std::string_view file, std::string bytes);

 private:
  // The file's in-memory view, loaded on first use: nullopt if it does not exist (or was removed).
  absl::StatusOr<std::optional<std::string>*> View(std::string_view file);

  const std::string dir_;
  std::map<std::string, std::optional<std::string>, std::less<>> files_;
};

}  // namespace kvlab::real
