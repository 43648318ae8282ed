// MemDisk: a minimal in-memory core::Disk for core unit tests (core_test links only kvlab_core;
// the full crash model with torn writes is sim::SimDisk, tested in tests/sim). Crash() keeps
// exactly the synced contents; tests may edit a file's bytes directly to inject corruption.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/env.h"

namespace kvlab::core {

class MemDisk : public Disk {
 public:
  absl::Status Append(std::string_view file, std::string_view bytes) override {
    files_[std::string(file)].current.append(bytes);
    return absl::OkStatus();
  }
  absl::Status Sync(std::string_view file) override {
    ++syncs;
    if (fail_syncs) return absl::UnavailableError("injected sync failure");
    File* f = Find(file);
    if (f == nullptr) return absl::NotFoundError("no such file");
    f->synced = f->current;
    f->ever_synced = true;
    return absl::OkStatus();
  }
  // A1 replaces: syncs at once and remembers the token as done.
  void StartSync(std::string_view file, SyncToken token) override { syncs_done.emplace_back(token, Sync(file)); }
  absl::StatusOr<std::string> Read(std::string_view file) override {
    File* f = Find(file);
    if (f == nullptr) return absl::NotFoundError("no such file");
    return f->current;
  }
  absl::Status Truncate(std::string_view file, uint64_t size) override {
    File* f = Find(file);
    if (f == nullptr || size > f->current.size()) return absl::InvalidArgumentError("bad truncate");
    f->current.resize(size);
    return absl::OkStatus();
  }
  absl::Status Rename(std::string_view from, std::string_view to) override {
    auto it = files_.find(std::string(from));
    if (it == files_.end()) return absl::NotFoundError("no such file");
    File f = it->second;
    files_.erase(it);
    files_[std::string(to)] = f;
    return absl::OkStatus();
  }
  absl::Status Remove(std::string_view file) override {
    files_.erase(std::string(file));
    return absl::OkStatus();
  }

  // Power loss: unsynced data is lost, never-synced files vanish.
  void Crash() {
    for (auto it = files_.begin(); it != files_.end();) {
      if (!it->second.ever_synced) {
        it = files_.erase(it);
      } else {
        it->second.current = it->second.synced;
        ++it;
      }
    }
  }
  bool Exists(std::string_view file) const { return files_.count(std::string(file)) > 0; }
  // Direct access to the durable bytes (edits apply to both views).
  std::string Contents(std::string_view file) const { return files_.at(std::string(file)).current; }
  void SetContents(std::string_view file, std::string bytes) {
    File& f = files_[std::string(file)];
    f.current = f.synced = std::move(bytes);
    f.ever_synced = true;
  }

  int syncs = 0;
  bool fail_syncs = false;  // makes every Sync fail, to test error paths.
  std::vector<std::pair<SyncToken, absl::Status>> syncs_done;  // A1 replaces

 private:
  struct File {
    std::string synced, current;
    bool ever_synced = false;
  };
  File* Find(std::string_view file) {
    auto it = files_.find(std::string(file));
    return it == files_.end() ? nullptr : &it->second;
  }
  std::map<std::string, File> files_;
};

}  // namespace kvlab::core
