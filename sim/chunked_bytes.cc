#include "sim/chunked_bytes.h"

#include <algorithm>
#include <cstring>

namespace kvlab::sim {

void ChunkedBytes::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t in_chunk = size_ % kChunkBytes;
    if (in_chunk == 0 && size_ / kChunkBytes == chunks_.size()) {
      // for_overwrite: a chunk's bytes past size_ are never read.
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunkBytes));
    }
    const size_t n = std::min(bytes.size(), kChunkBytes - in_chunk);
    std::memcpy(chunks_[size_ / kChunkBytes].get() + in_chunk, bytes.data(), n);
    size_ += n;
    bytes.remove_prefix(n);
  }
}

void ChunkedBytes::Truncate(size_t n) {
  KV_ASSERT(n <= size_);
  size_ = n;
  chunks_.resize((n + kChunkBytes - 1) / kChunkBytes);  // frees the chunks wholly past the cut.
}

std::string ChunkedBytes::Copy(size_t offset, size_t len) const {
  KV_ASSERT(offset <= size_ && len <= size_ - offset);
  std::string out;
  out.reserve(len);
  while (len > 0) {
    const size_t in_chunk = offset % kChunkBytes;
    const size_t n = std::min(len, kChunkBytes - in_chunk);
    out.append(chunks_[offset / kChunkBytes].get() + in_chunk, n);
    offset += n;
    len -= n;
  }
  return out;
}

}  // namespace kvlab::sim
