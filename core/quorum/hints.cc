#include "core/quorum/hints.h"

#include <algorithm>

namespace kvlab::core {

absl::Status Hints::Open(Disk& disk, bool fsync) {
  return replica_.Open(disk, VersionedFiles{kQuorumHintsWalFile, kQuorumHintsSnapshotFile, kQuorumHintsSnapshotTmpFile},
                       {.fsync = fsync, .sync_token_tag = kQuorumHintsSyncTag});
}

const VersionedEntry* Hints::Find(const std::string& key) const { return replica_.get()->Find(key); }

bool Hints::Keep(NodeId from, const QuorumHint& m) {
  if (Find(m.key) == nullptr && size() >= kQuorumMaxHints) {
    ++refused_;
    return false;
  }
  return replica_.Store(from, RegStore{m.op, m.key, m.entry});
}

void Hints::Round(const Ring& ring, uint64_t& next_op, absl::FunctionRef<void(NodeId, RegStore)> send) {
  in_flight_.clear();  // acks of an earlier round come too late: those hints go again.
  const auto& entries = replica_.get()->entries();
  auto it = entries.lower_bound(cursor_);
  for (size_t n = 0; it != entries.end() && n < kQuorumHandoffsPerRound; ++it, ++n) {
    const auto& [key, entry] = *it;
    auto acked = acked_.find(key);
    if (acked != acked_.end() && acked->second.first != entry.version) acked->second = {entry.version, {}};
    if (acked == acked_.end()) acked = acked_.emplace(key, std::make_pair(entry.version, std::vector<NodeId>{})).first;
    const uint64_t op = ++next_op;
    in_flight_[op] = Sent{key, entry.version};
    for (NodeId owner : ring.PreferenceList(key)) {
      const std::vector<NodeId>& done = acked->second.second;
      if (std::find(done.begin(), done.end(), owner) == done.end()) send(owner, RegStore{op, key, entry});
    }
  }
  cursor_ = it == entries.end() ? std::string() : it->first;
}

bool Hints::OnAck(NodeId from, const RegStoreAck& m, const Ring& ring) {
  auto sent = in_flight_.find(m.op);
  if (sent == in_flight_.end() || sent->second.key != m.key) return false;
  const VersionedEntry* held = Find(m.key);
  auto acked = acked_.find(m.key);
  if (held == nullptr || held->version != sent->second.version || acked == acked_.end() ||
      acked->second.first != held->version) {
    return true;  // a newer hint replaced it: that one goes in a later round.
  }
  std::vector<NodeId>& done = acked->second.second;
  if (std::find(done.begin(), done.end(), from) == done.end()) done.push_back(from);
  for (NodeId owner : ring.PreferenceList(m.key)) {
    if (std::find(done.begin(), done.end(), owner) == done.end()) return true;
  }
  replica_.store().Drop(m.key, held->version);  // every replica holds it durably.
  acked_.erase(acked);
  ++handed_off_;
  return true;
}

}  // namespace kvlab::core
