// ChunkedBytes: a growable byte string stored in fixed-size chunks, for the simulated disk's files.
// A WAL grows by a few hundred bytes per write for the whole run; in one std::string every
// doubling copies the file and touches fresh pages. Chunks are never moved once written, and
// are small enough for malloc to recycle them from run to run.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/assert.h"

namespace kvlab::sim {

// Below glibc's default mmap threshold (128 KiB), so freed chunks return to the heap's free lists.
inline constexpr size_t kChunkBytes = 64 * 1024;
static_assert(kChunkBytes > 0 && kChunkBytes < 128 * 1024);

class ChunkedBytes {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void Append(std::string_view bytes);
  // Keeps the first `n` bytes. REQUIRES: n <= size().
  void Truncate(size_t n);
  void Assign(std::string_view bytes) {
    Truncate(0);
    Append(bytes);
  }
  // Bytes [offset, offset + len). REQUIRES: the range lies inside.
  std::string Copy(size_t offset, size_t len) const;
  std::string ToString() const { return Copy(0, size_); }
  char& operator[](size_t i) {
    KV_ASSERT(i < size_);
    return chunks_[i / kChunkBytes][i % kChunkBytes];
  }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;  // chunks_[k] holds bytes [k, k+1) * kChunkBytes.
  size_t size_ = 0;
};

}  // namespace kvlab::sim
