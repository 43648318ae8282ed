#include "core/quorum/ring.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/bytes.h"

namespace kvlab::core {

Ring::Ring(const std::vector<NodeId>& members, int n) : n_(n) {
  KV_ASSERT(!members.empty() && n >= 1 && static_cast<size_t>(n) <= members.size());
  for (NodeId m : members) {
    for (int v = 0; v < kQuorumVnodesPerNode; ++v)
      points_.emplace_back(Checksum64(absl::StrCat("vnode/", m, "/", v)), m);
  }
  std::sort(points_.begin(), points_.end());
}

std::vector<NodeId> Ring::Walk(std::string_view key, size_t count) const {
  const uint64_t h = Checksum64(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, NodeId{0}));
  std::vector<NodeId> out;
  for (size_t i = 0; i < points_.size() && out.size() < count; ++i, ++it) {
    if (it == points_.end()) it = points_.begin();
    if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

}  // namespace kvlab::core
