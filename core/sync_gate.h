// SyncGate and HeldEffects: the bookkeeping of asynchronous syncs (Disk::StartSync) for one file.
// Every append bumps the file's write mark; a sync started at mark m makes marks <= m durable
// when it completes. At most one sync is in flight per file: writes made meanwhile wait for the
// next one, which then covers all of them (group commit). Effects that promise durability (a
// reply, an ack) are held with the mark they need and released once it is durable.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "core/assert.h"
#include "core/types.h"

namespace kvlab::core {

class SyncGate {
 public:
  using Mark = uint64_t;

  // With `syncs` false (--durability none) nothing is ever synced: every write counts as durable
  // at once, so nothing waits.
  explicit SyncGate(bool syncs = true) : syncs_(syncs) {}

  // One more write; returns its mark.
  Mark Wrote() {
    ++written_;
    if (!syncs_) durable_ = written_;
    return written_;
  }
  Mark written() const { return written_; }
  Mark durable() const { return durable_; }
  bool in_flight() const { return in_flight_; }
  // Something is not durable and no sync is under way to cover it.
  bool NeedsSync() const { return syncs_ && !in_flight_ && written_ > durable_; }
  bool AllDurable() const { return !in_flight_ && durable_ == written_; }

  // A sync starts now, covering every write so far. REQUIRES: NeedsSync(). The token names it.
  SyncToken Begin() {
    KV_ASSERT(NeedsSync());
    in_flight_ = true;
    syncing_ = written_;
    return syncing_;
  }
  // The sync named `token` completed: false if it is not the one in flight (a stale token).
  bool Done(SyncToken token) {
    if (!in_flight_ || token != syncing_) return false;
    in_flight_ = false;
    if (syncing_ > durable_) durable_ = syncing_;
    return true;
  }
  // The sync named `token` failed: nothing new is durable. False for a stale token.
  bool Failed(SyncToken token) {
    if (!in_flight_ || token != syncing_) return false;
    in_flight_ = false;
    return true;
  }
  // Everything written so far was made durable another way (a blocking Sync, or a file rewritten
  // and renamed into place). A sync still in flight completes harmlessly.
  void CoverAll() { durable_ = written_; }

 private:
  bool syncs_;
  bool in_flight_ = false;
  Mark written_ = 0;
  Mark durable_ = 0;
  Mark syncing_ = 0;  // the mark the sync in flight covers.
};

// Effects (replies, messages) each waiting for a write mark to be durable, released in the order
// they were held. Marks are held in non-decreasing order (they come from one SyncGate).
template <typename T>
class HeldEffects {
 public:
  void Hold(SyncGate::Mark needs, T effect) {
    KV_ASSERT(held_.empty() || held_.back().first <= needs);
    held_.emplace_back(needs, std::move(effect));
  }
  // Calls `release(effect)` for every effect whose mark is <= `durable`, oldest first.
  template <typename F>
  void Release(SyncGate::Mark durable, F&& release) {
    while (!held_.empty() && held_.front().first <= durable) {
      T effect = std::move(held_.front().second);
      held_.pop_front();
      release(std::move(effect));
    }
  }
  // Calls `drop(effect)` for every held effect (a failed sync: none will ever be durable).
  template <typename F>
  void DropAll(F&& drop) {
    Release(UINT64_MAX, drop);
  }
  size_t size() const { return held_.size(); }
  bool empty() const { return held_.empty(); }

 private:
  std::deque<std::pair<SyncGate::Mark, T>> held_;
};

}  // namespace kvlab::core
