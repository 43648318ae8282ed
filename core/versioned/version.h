// Versions of leaderless replication: an ordered (stamp, node) pair. `quorum` stamps a write with
// a hybrid logical clock and its coordinator's id (last writer wins); `abd` with a (counter,
// writer id) tag. Either way the node id breaks ties, so two distinct writes never share a version.
// A VersionedEntry is what a replica holds for one key: its version and its value or a tombstone.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/bytes.h"
#include "core/types.h"

namespace kvlab::core {

struct Version {
  uint64_t stamp = 0;  // HLC (quorum) or counter (abd); 0 with node 0: "never written".
  NodeId node = kNoNode;
  auto operator<=>(const Version&) const = default;
  bool operator==(const Version&) const = default;
  bool zero() const { return stamp == 0 && node == kNoNode; }
};

struct VersionedEntry {
  Version version;
  bool tombstone = false;  // a delete: no value, kept so an older write cannot come back.
  std::string value;       // empty for a tombstone.
  bool operator==(const VersionedEntry&) const = default;
};

// Wire form shared by the WAL, snapshots and both policies' messages: u64 stamp | u32 node |
// u8 tombstone | bytes value (absent for a tombstone).
void EncodeVersionedEntry(const VersionedEntry& e, ByteWriter& w);
// False on truncation, a bad flag or a value above kMaxValueBytes.
bool DecodeVersionedEntry(ByteReader& r, VersionedEntry* e);

}  // namespace kvlab::core
