// MemDisk: a minimal in-memory core::Disk for core unit tests (core_test links only kvlab_core;
// the full crash model with torn writes is sim::SimDisk, tested in tests/sim). Crash() keeps
// exactly the synced contents; tests may edit a file's bytes directly to inject corruption.
// StartSync only queues: CompleteOldestSync() makes durable what the file held when it started.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/env.h"

namespace kvlab::core {

class MemDisk : public Disk {
 public:
  absl::Status Append(std::string_view file, std::string_view bytes) override {
    if (fail_appends) return absl::InternalError("injected write failure");
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
  void StartSync(std::string_view file, SyncToken token) override {
    File* f = Find(file);
    started_.push_back(Started{std::string(file), token, f == nullptr ? std::string() : f->current});
  }
  struct Completion {
    SyncToken token;
    absl::Status status;
  };
  // Completes the oldest started sync. REQUIRES: pending_syncs() > 0.
  Completion CompleteOldestSync() {
    Started s = std::move(started_.front());
    started_.pop_front();
    ++syncs;
    if (fail_syncs) return {s.token, absl::UnavailableError("injected sync failure")};
    if (File* f = Find(s.file); f != nullptr) {
      f->synced = std::move(s.contents);
      f->ever_synced = true;
    }
    return {s.token, absl::OkStatus()};
  }
  size_t pending_syncs() const { return started_.size(); }
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
    started_.clear();
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
  bool fail_syncs = false;    // makes every sync fail, to test error paths.
  bool fail_appends = false;  // makes every Append fail.

 private:
  struct File {
    std::string synced, current;
    bool ever_synced = false;
  };
  File* Find(std::string_view file) {
    auto it = files_.find(std::string(file));
    return it == files_.end() ? nullptr : &it->second;
  }
  struct Started {
    std::string file;
    SyncToken token;
    std::string contents;  // what the sync makes durable.
  };
  std::map<std::string, File> files_;
  std::deque<Started> started_;
};

}  // namespace kvlab::core
