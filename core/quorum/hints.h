// Hints: the stand-in's side of the `quorum` policy's sloppy quorum (quorum.sloppy=true).
// A coordinator that cannot reach one of a key's replicas sends the write to the next healthy node
// on the ring as a QuorumHint. The stand-in keeps hints in a store of their own (durable, its own
// WAL and snapshot; never mixed with the keys it replicates) and acks one once synced, so the
// coordinator may count it towards W. Every handoff round (the anti-entropy timer) it sends up to
// kQuorumHandoffsPerRound hints as RegStore (op = a handoff id) to each of the key's replicas (the
// intended owner among them: every node computes the same preference list) that has not acked that
// version; the hint is dropped only once every replica durably acked it (or a newer version). An
// owner that stays unreachable keeps its hints, retried each round.
// Bounded: at most kQuorumMaxHints keys; beyond, a new key's hint is refused (not acked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "core/quorum/quorum_messages.h"
#include "core/quorum/ring.h"
#include "core/versioned/versioned_replica.h"

namespace kvlab::core {

inline constexpr char kQuorumHintsWalFile[] = "quorum.hints.wal";
inline constexpr char kQuorumHintsSnapshotFile[] = "quorum.hints.snapshot";
inline constexpr char kQuorumHintsSnapshotTmpFile[] = "quorum.hints.snapshot.tmp";
inline constexpr size_t kQuorumMaxHints = 10'000;       // keys a stand-in holds hints for.
inline constexpr size_t kQuorumHandoffsPerRound = 256;  // hints sent per handoff round.
inline constexpr SyncToken kQuorumHintsSyncTag = SyncToken{1} << 62;

class Hints {
 public:
  explicit Hints(VersionedReplica::Host& host) : replica_(host) {}

  absl::Status Open(Disk& disk, bool fsync);
  bool open() const { return replica_.open(); }
  bool failed() const { return replica_.failed(); }
  // The hint held for `key`, or nullptr.
  const VersionedEntry* Find(const std::string& key) const;
  // Keeps a coordinator's hint; its ack leaves once synced. False if refused (bound, or storage).
  bool Keep(NodeId from, const QuorumHint& m);
  // One handoff round; `next_op` gives the handoff ids (the coordinator's op counter).
  void Round(const Ring& ring, uint64_t& next_op, absl::FunctionRef<void(NodeId, RegStore)> send);
  // True if `m` acks a handoff (consumed here); drops the hint once every replica acked it.
  bool OnAck(NodeId from, const RegStoreAck& m, const Ring& ring);

  void EndTurn() { replica_.EndTurn(); }
  void OnSyncDone(SyncToken token, const absl::Status& status) { replica_.OnSyncDone(token, status); }
  size_t size() const { return open() ? replica_.get()->entries().size() : 0; }
  uint64_t handed_off() const { return handed_off_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Sent {
    std::string key;
    Version version;
  };
  VersionedReplica replica_;
  absl::btree_map<uint64_t, Sent> in_flight_;  // this round's handoff ids.
  // Per key: the hinted version and the replicas that durably acked it.
  absl::btree_map<std::string, std::pair<Version, std::vector<NodeId>>, std::less<>> acked_;
  std::string cursor_;  // the next round starts at this key.
  uint64_t handed_off_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace kvlab::core
