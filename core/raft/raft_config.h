// Limits and timeouts of the `raft` replication policy (Raft thesis numbering in comments).
// Every queue and batch the policy keeps is bounded by a constant here; related limits are tied
// together with static_asserts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/constants.h"
#include "core/types.h"

namespace kvlab::core {

// --- Timing (all on the node's own clock) -----------------------------------------------------
inline constexpr Nanos kRaftTick = Millis(10);               // housekeeping timer period.
inline constexpr Nanos kRaftHeartbeat = Millis(50);          // leader -> followers when idle.
inline constexpr Nanos kRaftElectionMin = Millis(150);       // randomized in [min, max] (§5.2).
inline constexpr Nanos kRaftElectionMax = Millis(300);
// A request that finds no known leader waits this long for one, then fails with kTryAgain.
inline constexpr Nanos kRaftNoLeaderWait = 2 * kRaftElectionMax;
// A follower gives up on a forwarded request after this long (write: kUnknown, read: kTryAgain).
inline constexpr Nanos kRaftForwardTimeout = Seconds(1);
// A leader gives up on a read that could not be confirmed or served after this long.
inline constexpr Nanos kRaftReadTimeout = Seconds(1);
// A pipeline to a follower that made no progress for this long is restarted from match + 1.
inline constexpr Nanos kRaftRetransmit = 2 * kRaftHeartbeat;

static_assert(kRaftTick <= kRaftHeartbeat);
static_assert(kRaftHeartbeat * 2 < kRaftElectionMin, "followers must hear several heartbeats per timeout");
static_assert(kRaftElectionMin < kRaftElectionMax);
static_assert(kRaftForwardTimeout > kRaftNoLeaderWait);

// --- Batching and bounds ----------------------------------------------------------------------
inline constexpr size_t kRaftMaxEntriesPerAppend = 512;
inline constexpr size_t kRaftMaxAppendBytes = 1024 * 1024;     // soft: at least one entry is sent.
inline constexpr size_t kRaftMaxInflightAppends = 4;           // pipelined AppendEntries per follower.
inline constexpr size_t kRaftSnapshotChunkBytes = 64 * 1024;   // InstallSnapshot chunk size.
inline constexpr uint64_t kRaftSnapshotEveryEntries = 10'000;  // default compaction threshold.
inline constexpr size_t kRaftForwardDedupWindow = 65'536;      // remembered forwarded request ids.
inline constexpr size_t kRaftMaxMembers = 9;

static_assert(kRaftMaxAppendBytes + kMaxValueBytes + kMaxKeyBytes < kMaxMessageBytes);
static_assert(kRaftSnapshotChunkBytes < kMaxMessageBytes);
static_assert(kRaftMaxInflightAppends >= 1);

struct RaftOptions {
  // A node snapshots its state and compacts its log once this many applied entries follow the
  // last snapshot. Tests lower it to exercise InstallSnapshot.
  uint64_t snapshot_every_entries = kRaftSnapshotEveryEntries;
};

}  // namespace kvlab::core
