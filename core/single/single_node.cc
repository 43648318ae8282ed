#include "core/single/single_node.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {

absl::Status SingleNode::Start() {
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(env_.disk(), KvStoreOptions{.fsync = config_.fsync});
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  return absl::OkStatus();
}

void SingleNode::ReplyNow(ReplyHandle handle, ReplyStatus status, std::string message) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(message);
  env_.Reply(handle, std::move(reply));
}

void SingleNode::OnClientRequest(ReplyHandle handle, Command cmd) {
  if (store_ == nullptr) return ReplyNow(handle, ReplyStatus::kTryAgain, "node not started");
  if (failed()) {
    return ReplyNow(handle, ReplyStatus::kTryAgain,
                    absl::StrCat("TRYAGAIN node storage failed: ", store_->failure().message()));
  }
  if (absl::Status s = ValidateCommand(cmd); !s.ok()) {
    return ReplyNow(handle, ReplyStatus::kInvalid, std::string(s.message()));
  }
  if (held_.size() >= kMaxPendingClientRequests) {
    return ReplyNow(handle, ReplyStatus::kBusy, "too many pending requests");
  }
  const int64_t now_ms = env_.Now() / kNanosPerMilli;
  ClientReply reply;  // the result goes straight into the reply: one Result fewer per request.
  reply.result = store_->Apply(cmd, now_ms);
  const bool read_only = IsReadOnly(cmd.op);
  // A reply waits until what it observed is durable: a read, the writes to its keys; a write,
  // itself and every write before it. Without fsync every write is durable once applied, so
  // nothing waits and no key need be tracked.
  const SyncGate::Mark needs = read_only ? ObservedMark(cmd) : store_->write_mark();
  if (needs <= store_->durable_mark()) return env_.Reply(handle, std::move(reply));
  if (!read_only) NoteWrite(cmd);
  // Held in mark order: a read that must wait waits for the newest mark (a little longer than
  // its keys need, never shorter).
  held_.Hold(store_->write_mark(), Held{handle, read_only, std::move(reply.result)});
}

void SingleNode::NoteWrite(const Command& cmd) {
  const SyncGate::Mark mark = store_->write_mark();
  // A transaction's keys are the watched ones, not those it writes: it counts as touching all.
  if (cmd.keys.empty() || cmd.op == Op::kExec || key_marks_.size() + cmd.keys.size() > kMaxTrackedWriteKeys) {
    all_keys_mark_ = mark;
    key_marks_.clear();
    return;
  }
  for (const std::string& key : cmd.keys) key_marks_[key] = mark;
}

SyncGate::Mark SingleNode::ObservedMark(const Command& cmd) const {
  if (cmd.keys.empty()) return store_->write_mark();  // DBSIZE and the like see every key.
  SyncGate::Mark mark = all_keys_mark_;
  if (key_marks_.empty()) return mark;  // no write awaits its sync: no key to hash.
  for (const std::string& key : cmd.keys) {
    auto it = key_marks_.find(key);
    if (it != key_marks_.end()) mark = std::max(mark, it->second);
  }
  return mark;
}

void SingleNode::OnMessage(const Message& msg) {
  // A one-node cluster has no peers; whatever arrives (a stray or forged message) is dropped.
  ++ignored_messages_;
}

void SingleNode::OnSyncDone(SyncToken token, absl::Status status) {
  if (store_ == nullptr) return;
  store_->OnSyncDone(token, status).IgnoreError();  // A failure stays in store_->failure().
  if (failed()) return FailHeld();
  ReleaseDurable();
}

void SingleNode::EndTurn() {
  if (store_ == nullptr) return;
  if (failed()) return FailHeld();
  ReleaseDurable();  // whatever the last sync made durable.
  store_->StartSync();
}

void SingleNode::ReleaseDurable() {
  if (store_->durable_mark() >= store_->write_mark() && !key_marks_.empty()) key_marks_.clear();
  held_.Release(store_->durable_mark(), [this](Held h) {
    ClientReply reply;
    reply.result = std::move(h.result);
    env_.Reply(h.handle, std::move(reply));
  });
}

void SingleNode::FailHeld() {
  const std::string why(store_->failure().message());
  held_.DropAll([&](Held h) {
    // A write is applied in memory and may or may not have reached the disk; a read may have
    // seen such a write, so it is refused (reads have no effect: retrying is safe).
    if (h.read_only) return ReplyNow(h.handle, ReplyStatus::kTryAgain, "TRYAGAIN storage failed: " + why);
    ReplyNow(h.handle, ReplyStatus::kUnknown, "storage failed: " + why);
  });
}

NodeStatus SingleNode::Status() const {
  NodeStatus s;
  s.role = "single";
  s.leads = store_ != nullptr;  // a one-node cluster leads itself once started.
  s.leader = store_ != nullptr ? config_.self : kNoNode;
  s.commit_index = s.applied_index = store_ != nullptr ? store_->last_lsn() : 0;
  s.failed = store_ != nullptr && !store_->failure().ok();
  return s;
}

std::vector<std::pair<std::string, std::string>> SingleNode::Info() const {
  std::vector<std::pair<std::string, std::string>> info = {
      {"role", "single"},
      {"policy", "single"},
      {"node_id", absl::StrCat(config_.self)},
      {"fsync", config_.fsync ? "yes" : "no"},
      {"started", store_ ? "yes" : "no"},
      {"pending_replies", absl::StrCat(held_.size())},
      {"sync_in_flight", store_ != nullptr && store_->sync_in_flight() ? "yes" : "no"},
      {"ignored_messages", absl::StrCat(ignored_messages_)},
  };
  if (store_ != nullptr) {
    const KvStoreStats& s = store_->stats();
    info.insert(info.end(), {
                                {"keys", absl::StrCat(store_->state().size())},
                                {"last_lsn", absl::StrCat(store_->last_lsn())},
                                {"wal_bytes", absl::StrCat(store_->wal_bytes())},
                                {"fsyncs", absl::StrCat(s.fsyncs)},
                                {"wal_records", absl::StrCat(s.records)},
                                {"snapshots", absl::StrCat(s.snapshots)},
                                {"snapshot_lsn", absl::StrCat(s.snapshot_lsn)},
                                {"recovered_records", absl::StrCat(s.recovered_records)},
                                {"torn_tail_cut", s.torn_tail_cut ? "yes" : "no"},
                                {"storage_error", store_->failure().ok() ? std::string("none")
                                                                         : std::string(store_->failure().message())},
                            });
  }
  return info;
}

}  // namespace kvlab::core
