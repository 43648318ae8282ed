#include "core/raft/raft_snapshot_bytes.h"

#include <algorithm>

#include "core/assert.h"

namespace kvlab::core {

void RaftSnapshotBytes::Append(std::string piece) {
  KV_ASSERT(!piece.empty());
  starts_.push_back(size_);
  size_ += piece.size();
  pieces_.push_back(std::move(piece));
}

std::string RaftSnapshotBytes::Read(uint64_t offset, size_t n) const {
  std::string out;
  if (offset >= size_) return out;
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  out.reserve(n);
  // The piece holding `offset`: the last one starting at or before it.
  size_t i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  while (out.size() < n) {
    const uint64_t at = offset + out.size() - starts_[i];
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n - out.size(), pieces_[i].size() - at));
    out.append(pieces_[i], static_cast<size_t>(at), take);
    ++i;
  }
  return out;
}

}  // namespace kvlab::core
