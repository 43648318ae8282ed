// The `single` replication policy: a one-node "cluster" serving every command from its own
// durable KvStore. It is the baseline the replicated policies are compared with, and the
// reference for group commit: EndTurn starts one sync covering every write so far (unless one is
// in flight), and each reply is held until the sync covering the newest write it could observe
// completes. A read of keys whose last writes are durable is answered at once, even while a sync
// for other keys is in flight (a slow fsync does not stall it). A failed write or sync fails the store: held writes
// answer kUnknown (they may or may not survive), held reads kTryAgain, and the node refuses requests until it is
// restarted.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  // Remembers which keys `cmd` wrote at the store's current write mark.
  void NoteWrite(const Command& cmd);
  // The newest write mark a read of `cmd` could observe.
  SyncGate::Mark ObservedMark(const Command& cmd) const;

  NodeConfig config_;
  Env& env_;
  std::unique_ptr<KvStore> store_;
  // Replies waiting for the write mark they depend on. Reads are held too, behind the newest
  // write they could observe: answering one before that write is durable could show a value a
  // crash then takes back.
  HeldEffects<Held> held_;
  // The write mark of each key's last write since everything was last durable, and of the last
  // write that touched every key (FLUSHALL). Cleared whenever everything is durable; bounded by
  // kMaxTrackedWriteKeys (beyond, a write counts as touching every key: reads just wait more).
  absl::flat_hash_map<std::string, SyncGate::Mark> key_marks_;
  SyncGate::Mark all_keys_mark_ = 0;
  uint64_t ignored_messages_ = 0;
};

}  // namespace kvlab::core
