// Transactions on the state machine: WATCH reads modification versions (VersionOf), EXEC applies its queued
// commands in one step unless a watched key changed since (Redis's MULTI/EXEC/WATCH semantics).
#include "core/kv/kv_state.h"

namespace kvlab::core {

uint64_t KvState::VersionOf(std::string_view key, int64_t now_ms) const {
  const Entry* e = Find(key, now_ms);
  return e == nullptr ? 0 : e->version();
}

// A watched key changed if its version differs (a change, a removal, an expiry: ABA included,
// since every change stamps a new version). A key absent when watched has no version to
// compare: it changed if anything was removed since (it may have been created and removed);
// conservative, as Redis's own FLUSHALL-touches-every-watch is: the client retries.
bool KvState::WatchesHold(const Command& cmd, int64_t now_ms) const {
  for (size_t i = 0; i < cmd.keys.size(); ++i) {
    if (VersionOf(cmd.keys[i], now_ms) != cmd.versions[i]) return false;
    if (cmd.versions[i] == 0 && removed_seq_ > cmd.watch_seq) return false;
  }
  return true;
}

Result KvState::ApplyExec(const Command& cmd, int64_t now_ms) {
  if (!WatchesHold(cmd, now_ms)) return Result::OfKind(ResultKind::kNilArray);
  Result r = Result::OfKind(ResultKind::kResults);
  r.results.reserve(cmd.subs.size());
  // Errors are per command (Redis: the others still apply; there is no rollback).
  for (const Command& sub : cmd.subs) r.results.push_back(Apply(sub, now_ms));
  return r;
}

}  // namespace kvlab::core
