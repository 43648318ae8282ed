// FakeEnv: a core::Env for core unit tests: a MemDisk, a clock the test sets, and the messages,
// timers and replies the node produced, kept for the test to inspect. Syncs a node starts stay
// pending until the test completes them (CompleteSyncs), as a runtime would in a later turn.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/policy/node.h"
#include "tests/support/mem_disk.h"

namespace kvlab::core {

class FakeEnv : public Env {
 public:
  explicit FakeEnv(NodeId id = 1, uint64_t rng_seed = 1) : id_(id), rng_(rng_seed) {}
  NodeId self() const override { return id_; }
  Nanos Now() override { return now; }
  void Send(NodeId to, Message msg) override {
    msg.from = id_;
    msg.to = to;
    sent.push_back(std::move(msg));
  }
  void SetTimer(Nanos, TimerToken token) override { timers.push_back(token); }
  void Reply(ReplyHandle handle, ClientReply reply) override {
    EXPECT_EQ(replies.count(handle), 0u) << "replied twice to " << handle;
    replies[handle] = std::move(reply);
  }
  Disk& disk() override { return mem_disk; }
  Rng& rng() override { return rng_; }

  // Messages sent so far, removed from the env.
  std::vector<Message> TakeSent() {
    std::vector<Message> out = std::move(sent);
    sent.clear();
    return out;
  }
  // Completes every sync started so far, oldest first, each as a turn of `node` (OnSyncDone,
  // then EndTurn, which may start the next). Returns how many completed.
  int CompleteSyncs(Node& node) {
    int n = 0;
    while (mem_disk.pending_syncs() > 0) {
      MemDisk::Completion done = mem_disk.CompleteOldestSync();
      node.OnSyncDone(done.token, std::move(done.status));
      node.EndTurn();
      ++n;
    }
    return n;
  }

  Nanos now = 0;
  MemDisk mem_disk;
  std::vector<Message> sent;
  std::vector<TimerToken> timers;
  std::map<ReplyHandle, ClientReply> replies;

 private:
  NodeId id_;
  Rng rng_;
};

}  // namespace kvlab::core
