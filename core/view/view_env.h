// The Env the view service's embedded RaftNode runs on: the outer node's Env with the inner
// node's timers, syncs and files namespaced, so one process hosts both state machines.
//   - timers: the inner token t is armed as kViewTokenBit | t; the outer node hands tokens with
//     that bit back to the view service;
//   - syncs: likewise for Disk::StartSync tokens;
//   - files: prefixed with "view." ("view.raft_log", "view.raft_snapshot");
//   - peer messages carry raft's policy tag and pass through; the outer node routes incoming
//     raft-tagged messages to the inner node. The inner node is never asked to forward client
//     requests (only its leader proposes), so any non-peer message it would send is dropped;
//   - replies to the proposals the view service makes come back as a callback.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/env.h"

namespace kvlab::core {

inline constexpr uint64_t kViewTokenBit = uint64_t{1} << 62;
inline constexpr char kViewFilePrefix[] = "view.";

class PrefixDisk final : public Disk {
 public:
  PrefixDisk(Disk& disk, std::string_view prefix) : disk_(disk), prefix_(prefix) {}
  absl::Status Append(std::string_view file, std::string_view bytes) override {
    return disk_.Append(Name(file), bytes);
  }
  absl::Status Sync(std::string_view file) override { return disk_.Sync(Name(file)); }
  void StartSync(std::string_view file, SyncToken token) override {
    disk_.StartSync(Name(file), token | kViewTokenBit);
  }
  absl::StatusOr<std::string> Read(std::string_view file) override { return disk_.Read(Name(file)); }
  absl::Status Truncate(std::string_view file, uint64_t size) override { return disk_.Truncate(Name(file), size); }
  absl::Status Rename(std::string_view from, std::string_view to) override {
    return disk_.Rename(Name(from), Name(to));
  }
  absl::Status Remove(std::string_view file) override { return disk_.Remove(Name(file)); }

 private:
  std::string Name(std::string_view file) const { return prefix_ + std::string(file); }
  Disk& disk_;
  std::string prefix_;
};

class ViewEnv final : public Env {
 public:
  using ReplyFn = std::function<void(ReplyHandle, ClientReply)>;
  ViewEnv(Env& outer, ReplyFn on_reply) : outer_(outer), disk_(outer.disk(), kViewFilePrefix), on_reply_(on_reply) {}

  NodeId self() const override { return outer_.self(); }
  Nanos Now() override { return outer_.Now(); }
  void Send(NodeId to, Message msg) override {
    if (msg.type == MessageType::kPeer) outer_.Send(to, std::move(msg));
  }
  void SetTimer(Nanos delay, TimerToken token) override { outer_.SetTimer(delay, token | kViewTokenBit); }
  void Reply(ReplyHandle handle, ClientReply reply) override { on_reply_(handle, std::move(reply)); }
  Disk& disk() override { return disk_; }
  Rng& rng() override { return outer_.rng(); }

 private:
  Env& outer_;
  PrefixDisk disk_;
  ReplyFn on_reply_;
};

}  // namespace kvlab::core
