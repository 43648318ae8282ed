// The `single` replication policy: a one-node "cluster" serving every command from its own
// durable KvStore. It is the baseline the replicated policies are compared with, and the
// reference for group commit: EndTurn starts one sync covering every write so far (unless one is
// in flight), and each reply is held until the sync covering the newest write it could observe
// completes. A failed write or sync fails the store: held writes answer kUnknown (they may or
// may not survive), held reads kTryAgain, and the node refuses requests until it is restarted.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/kv/kv_store.h"
#include "core/policy/node.h"
#include "core/sync_gate.h"

namespace kvlab::core {

class SingleNode final : public Node {
 public:
  SingleNode(const NodeConfig& config, Env& env) : config_(config), env_(env) {}

  absl::Status Start() override;
  void OnClientRequest(ReplyHandle handle, Command cmd) override;
  void OnMessage(const Message& msg) override;
  void OnTimer(TimerToken token) override {}  // single arms no timers.
  void OnSyncDone(SyncToken token, absl::Status status) override;
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
    bool read_only;
    Result result;
  };

  void ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message);
  // Answers every held reply whose write mark is durable.
  void ReleaseDurable();
  // The store failed: answers every held reply with its indeterminate outcome.
  void FailHeld();
  bool failed() const { return store_ != nullptr && !store_->failure().ok(); }

  NodeConfig config_;
  Env& env_;
  std::unique_ptr<KvStore> store_;
  // Replies waiting for the write mark they depend on. Reads are held too, behind the newest
  // write they could observe: answering one before that write is durable could show a value a
  // crash then takes back.
  HeldEffects<Held> held_;
  uint64_t ignored_messages_ = 0;
};

}  // namespace kvlab::core
