// The consistent-hash ring of the `quorum` policy: every member owns kQuorumVnodesPerNode points
// (virtual nodes) on a 64-bit ring; a key's preference list is the first N distinct members met
// walking clockwise from the key's hash. A cluster larger than N spreads keys over all members,
// and a member's arrival or departure moves only the keys next to its points. Deterministic: the
// points are checksums of (member, index), the same on every node.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "core/types.h"

namespace kvlab::core {

inline constexpr int kQuorumVnodesPerNode = 32;

class Ring {
 public:
  // REQUIRES: members non-empty, 1 <= n <= members.size().
  Ring(const std::vector<NodeId>& members, int n);
  // The key's N replicas, in preference order.
  std::vector<NodeId> PreferenceList(std::string_view key) const { return Walk(key, n_); }
  // The first `count` distinct members met walking clockwise from the key's hash (all of them if
  // count exceeds the members): the preference list, then the sloppy quorum's stand-ins in order.
  std::vector<NodeId> Walk(std::string_view key, size_t count) const;
  int n() const { return n_; }

 private:
  std::vector<std::pair<uint64_t, NodeId>> points_;  // sorted by position.
  int n_;
};

}  // namespace kvlab::core
