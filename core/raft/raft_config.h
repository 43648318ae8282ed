// Limits and timeouts of the `raft` replication policy (Raft thesis numbering in comments).
// Every queue and batch the policy keeps is bounded by a constant here; related limits are tied
// together with static_asserts. The timing and batching knobs a researcher sweeps are run-time
// parameters (RaftOptions, from the registry's raft.* parameters); the constants are their defaults.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/constants.h"
#include "core/types.h"

namespace kvlab::core {

// --- Timing (all on the node's own clock) -----------------------------------------------------
inline constexpr Nanos kRaftTick = Millis(10);          // housekeeping timer period.
inline constexpr Nanos kRaftHeartbeat = Millis(50);     // leader -> followers when idle.
inline constexpr Nanos kRaftElectionMin = Millis(150);  // randomized in [min, max] (§5.2).
inline constexpr Nanos kRaftElectionMax = Millis(300);
// A follower told that its leader's process is gone (Node::OnPeerLost) stands for election after
// its rank among the other members (by id) times this, plus up to one tick: spaced wider than a
// PreVote and vote round with their syncs, so the followers that saw the same close do not split
// the vote, and far below the election timeout the hint saves.
inline constexpr Nanos kRaftLeaderLostStagger = Millis(15);
// Floors of the forward and read timeouts (RaftOptions derives them from the election timeout).
inline constexpr Nanos kRaftForwardTimeout = Seconds(1);
inline constexpr Nanos kRaftReadTimeout = Seconds(1);

// With raft.heartbeat_ms unset (0), the heartbeat is the election timeout's low end over this, so
// a shorter election timeout (raft:election_timeout_ms=50..100) keeps its heartbeats per timeout.
inline constexpr int64_t kRaftHeartbeatsPerElectionMin = 3;

static_assert(kRaftTick <= kRaftHeartbeat);
static_assert(kRaftElectionMin / kRaftHeartbeatsPerElectionMin == kRaftHeartbeat, "the derived default is the default");
static_assert(kRaftHeartbeat * 2 < kRaftElectionMin, "followers must hear several heartbeats per timeout");
static_assert(kRaftElectionMin < kRaftElectionMax);
static_assert(kRaftForwardTimeout > 2 * kRaftElectionMax);
static_assert(kRaftLeaderLostStagger + kRaftTick < kRaftElectionMin);

// --- Batching and bounds ----------------------------------------------------------------------
inline constexpr size_t kRaftDefaultEntriesPerAppend = 512;
inline constexpr size_t kRaftMaxEntriesPerAppend = 4096;    // the wire limit (any setting).
inline constexpr size_t kRaftMaxAppendBytes = 1024 * 1024;  // soft: at least one entry is sent.
inline constexpr size_t kRaftDefaultInflightAppends = 4;    // pipelined AppendEntries per follower.
inline constexpr size_t kRaftMaxInflightAppends = 64;
inline constexpr size_t kRaftSnapshotChunkBytes = 64 * 1024;   // InstallSnapshot chunk size.
inline constexpr uint64_t kRaftSnapshotEveryEntries = 10'000;  // default compaction threshold.
// Snapshots by bytes as well: a node snapshots once its log file holds this many bytes since the
// last snapshot, or the last snapshot's size if that is larger. The entry count alone let 10,000
// entries of 64 KiB (640 MB of log, in memory and on disk) pile up between snapshots. The floor
// keeps small states from snapshotting every few entries (64 MiB is ~25 ms of write-back on this
// project's VM: sim/sim_disk.h); the state-size term keeps a snapshot's cost, which is O(state),
// paid at most once per as many bytes of log, so snapshots at most double the bytes written.
inline constexpr uint64_t kRaftSnapshotMinLogBytes = uint64_t{64} << 20;
// A snapshot is written off the event loop: appended to its tmp file this much at a time, each
// piece followed by an asynchronous sync through the device queue, so the log's group-commit
// syncs run between the pieces and no turn waits for more than one piece's write-back.
inline constexpr size_t kRaftSnapshotWriteChunkBytes = size_t{4} << 20;
// A snapshot's state is encoded across turns from a frozen view (KvState::Freeze): this many bytes
// a turn (at least one entry), one piece of the file each. A 4 MiB slice costs a few ms (measured:
// ~1.7 us per KiB into fresh pages on this VM), far below the election timeout, where the whole
// state of 64-128 MB in one turn took 85-340 ms (issue 17).
inline constexpr size_t kRaftSnapshotEncodeSliceBytes = kRaftSnapshotWriteChunkBytes;
// A leader's snapshot keeps in its log the entries a follower close behind still needs (etcd's
// "catch-up entries"): up to this many entries (and half the entry threshold) and bytes behind
// the snapshot. A follower a few turns late (busy with its own snapshot, say) then gets entries,
// not the whole state, whose transfer and install cost far more than its lag; one further behind
// gets the snapshot.
inline constexpr uint64_t kRaftSnapshotCatchUpEntries = 5'000;
inline constexpr uint64_t kRaftSnapshotCatchUpBytes = uint64_t{32} << 20;
inline constexpr size_t kRaftForwardDedupWindow = 65'536;  // remembered forwarded request ids.
inline constexpr size_t kRaftMaxMembers = 9;
// ReadIndex round seqs: the leader's term in the high bits, a count of its rounds in the low ones.
inline constexpr int kRaftReadSeqTermShift = 32;
inline constexpr uint64_t kRaftMaxReadSeqTerm = (uint64_t{1} << (64 - kRaftReadSeqTermShift)) - 1;
constexpr uint64_t ReadSeqTerm(uint64_t read_seq) { return read_seq >> kRaftReadSeqTermShift; }

static_assert(kRaftMaxAppendBytes + kMaxValueBytes + kMaxKeyBytes < kMaxMessageBytes);
static_assert(kRaftSnapshotChunkBytes < kMaxMessageBytes);
static_assert(kRaftSnapshotWriteChunkBytes <= kRaftSnapshotMinLogBytes, "a snapshot is several write pieces");
static_assert(kRaftSnapshotEncodeSliceBytes + kMaxValueBytes + kMaxKeyBytes + 64 <= kMaxWalRecordBytes,
              "a slice (its budget and one more entry) fits one record of the snapshot file");
static_assert(kRaftSnapshotCatchUpBytes < kRaftSnapshotMinLogBytes,
              "the kept entries do not trigger the next snapshot");
static_assert(kRaftDefaultInflightAppends >= 1 && kRaftDefaultInflightAppends <= kRaftMaxInflightAppends);
static_assert(kRaftDefaultEntriesPerAppend <= kRaftMaxEntriesPerAppend);

// The run-time settings of one raft node (the raft.* parameters; defaults above).
// REQUIRES (checked when the parameters are parsed): 2 * heartbeat < election_min <= election_max.
struct RaftOptions {
  Nanos heartbeat = kRaftHeartbeat;
  Nanos election_min = kRaftElectionMin;  // randomized in [min, max] (§5.2).
  Nanos election_max = kRaftElectionMax;
  size_t max_entries_per_append = kRaftDefaultEntriesPerAppend;
  size_t max_inflight_appends = kRaftDefaultInflightAppends;
  // A node snapshots its state and compacts its log once this many applied entries follow the
  // last snapshot. Tests and sweeps lower it to exercise InstallSnapshot.
  uint64_t snapshot_every_entries = kRaftSnapshotEveryEntries;
  // ... or once the log holds max(this, the last snapshot's size) bytes since it.
  uint64_t snapshot_min_log_bytes = kRaftSnapshotMinLogBytes;
  // A leader's snapshot keeps at most this many entries for a follower close behind (0: none),
  // and at most half of snapshot_every_entries.
  uint64_t snapshot_catch_up_entries = kRaftSnapshotCatchUpEntries;
  bool pre_vote = true;      // §9.6: ask before disturbing the cluster with a new term.
  bool check_quorum = true;  // §6.2: a leader that lost its majority steps down.

  Nanos tick() const { return std::min(kRaftTick, heartbeat); }
  // A request that finds no known leader waits this long for one, then fails with kTryAgain.
  Nanos no_leader_wait() const { return 2 * election_max; }
  // A follower gives up on a forwarded request after this long (write: kUnknown, read: kTryAgain).
  Nanos forward_timeout() const { return std::max(kRaftForwardTimeout, no_leader_wait() + election_max); }
  // A leader gives up on a read that could not be confirmed or served after this long.
  Nanos read_timeout() const { return std::max(kRaftReadTimeout, 2 * election_max); }
  // A pipeline to a follower that made no progress for this long is restarted from match + 1.
  Nanos retransmit() const { return 2 * heartbeat; }
};

}  // namespace kvlab::core
