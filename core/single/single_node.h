// The `single` replication policy: a one-node "cluster" serving every command from its own
// durable KvStore. It is the baseline the replicated policies are compared with, and the
// reference for group commit: replies of a turn are held until EndTurn() made the turn durable.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/kv/kv_store.h"
#include "core/policy/node.h"

namespace kvlab::core {

class SingleNode final : public Node {
 public:
  SingleNode(const NodeConfig& config, Env& env) : config_(config), env_(env) {}

  absl::Status Start() override;
  void OnClientRequest(ReplyHandle handle, Command cmd) override;
  void OnMessage(const Message& msg) override;
  void OnTimer(TimerToken token) override {}  // single arms no timers.
  // A1 replaces: this branch still syncs blocking in EndTurn and starts no async sync.
  void OnSyncDone(SyncToken, absl::Status) override {}
  void EndTurn() override;

  std::vector<std::pair<std::string, std::string>> Info() const override;
  NodeStatus Status() const override;
  const KvState* AppliedState() const override { return store_ ? &store_->state() : nullptr; }
  size_t KeyCount() const override { return store_ ? store_->state().size() : 0; }
  bool Ready() const override { return store_ != nullptr; }

  size_t held_replies() const { return held_.size(); }
  const KvStore* store() const { return store_.get(); }

 private:
  struct Held {
    ReplyHandle handle;
    Result result;
  };

  void ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message);

  NodeConfig config_;
  Env& env_;
  std::unique_ptr<KvStore> store_;
  // Replies of this turn, released by EndTurn once the turn's writes are durable. Reads are held
  // too: a read may have seen a write of this same turn that is not durable yet.
  std::vector<Held> held_;
  std::vector<Held> spare_;  // an empty vector kept for its capacity (see EndTurn).
  uint64_t ignored_messages_ = 0;
};

}  // namespace kvlab::core
