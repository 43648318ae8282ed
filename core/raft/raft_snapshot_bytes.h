// RaftSnapshotBytes: an encoded snapshot (its configuration, then KvState's encoding) held as the
// pieces it was encoded in, turn by turn (issue 17), never joined into one buffer: each piece is
// one record of the snapshot file (RaftStorage), and InstallSnapshot's chunks are read from the
// pieces by offset. A node keeps one of these per snapshot, not a second copy of the state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvlab::core {

class RaftSnapshotBytes {
 public:
  RaftSnapshotBytes() = default;
  // One piece holding all of `bytes` (a snapshot recovered or received whole; none if empty).
  explicit RaftSnapshotBytes(std::string bytes) {
    if (!bytes.empty()) Append(std::move(bytes));
  }

  // Adds the next piece (not empty).
  void Append(std::string piece);
  size_t piece_count() const { return pieces_.size(); }
  const std::string& piece(size_t i) const { return pieces_[i]; }
  uint64_t size() const { return size_; }
  // The bytes at [offset, offset + n), cut at the end; empty at or past it.
  std::string Read(uint64_t offset, size_t n) const;
  // Every byte in one buffer (tests, and decoding a whole snapshot).
  std::string Joined() const { return Read(0, size_); }

 private:
  std::vector<std::string> pieces_;
  std::vector<uint64_t> starts_;  // starts_[i]: the offset of pieces_[i]'s first byte.
  uint64_t size_ = 0;
};

}  // namespace kvlab::core
