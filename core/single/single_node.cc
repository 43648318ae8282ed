#include "core/single/single_node.h"

#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {

absl::Status SingleNode::Start() {
  absl::StatusOr<std::unique_ptr<KvStore>> store =
      KvStore::Open(env_.disk(), KvStoreOptions{.fsync = config_.fsync});
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
  if (absl::Status s = ValidateCommand(cmd); !s.ok()) {
    return ReplyNow(handle, ReplyStatus::kInvalid, std::string(s.message()));
  }
  if (held_.size() >= kMaxPendingClientRequests) {
    return ReplyNow(handle, ReplyStatus::kBusy, "too many pending requests");
  }
  const int64_t now_ms = env_.Now() / kNanosPerMilli;
  held_.push_back(Held{handle, store_->Apply(cmd, now_ms)});
}

void SingleNode::OnMessage(const Message& msg) {
  // A one-node cluster has no peers; whatever arrives (a stray or forged message) is dropped.
  ++ignored_messages_;
}

void SingleNode::EndTurn() {
  // Every write holds a reply, so with none held nothing is dirty.
  if (store_ == nullptr || held_.empty()) return;
  const absl::Status synced = store_->Sync();
  // held_ and the spare trade places each turn, so neither reallocates in the steady state.
  std::vector<Held> held = std::move(spare_);
  held.clear();
  held.swap(held_);
  for (Held& h : held) {
    ClientReply reply;
    if (synced.ok()) {
      reply.result = std::move(h.result);
    } else {
      // The write is applied in memory and may or may not have reached the disk.
      reply.status = ReplyStatus::kUnknown;
      reply.message = absl::StrCat("storage sync failed: ", synced.message());
    }
    env_.Reply(h.handle, std::move(reply));
  }
  held.clear();
  spare_ = std::move(held);
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
                                {"storage_error", store_->failure().ok()
                                                      ? std::string("none")
                                                      : std::string(store_->failure().message())},
                            });
  }
  return info;
}

}  // namespace kvlab::core
