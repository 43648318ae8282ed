// Little-endian binary encoding helpers shared by the message codec, the WAL and snapshots.
// ByteReader never reads past its input: every getter returns false on underflow or on a length
// above the caller's limit, and the caller turns that into an absl::Status.
//
// The fixed-width and varint helpers are defined here, inline: they run for every field of every
// message the simulator routes, and a call per byte showed in its profile.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/assert.h"

namespace kvlab::core {

// Fixed-width little-endian load/store on raw buffers (no alignment requirements). The byte loops
// compile to single moves on little-endian targets and stay correct on the others.
inline void StoreU32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void StoreU64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline uint32_t LoadU32(const char* src) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  return v;
}
inline uint64_t LoadU64(const char* src) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  return v;
}

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    char buf[4];
    StoreU32(buf, v);
    out_->append(buf, 4);
  }
  void U64(uint64_t v) {
    char buf[8];
    StoreU64(buf, v);
    out_->append(buf, 8);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void VarU64(uint64_t v) {  // LEB128.
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_->append(buf, n);
  }
  void Bytes(std::string_view s) {  // varint length + bytes.
    VarU64(s.size());
    out_->append(s);
  }
  void Raw(std::string_view s) { out_->append(s); }
  // Appends `n` bytes of room and returns where they start, for a SpanWriter to fill.
  char* Extend(size_t n) {
    const size_t at = out_->size();
    out_->resize(at + n);
    return out_->data() + at;
  }

 private:
  std::string* out_;
};

inline size_t VarU64Bytes(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

// ByteWriter's interface, counting the bytes instead of writing them: a hot encoder runs once
// with it to size its room, then once with a SpanWriter to fill it (a call to std::string::append
// per field showed in the node's profile).
class ByteCounter {
 public:
  void U8(uint8_t) { n_ += 1; }
  void U32(uint32_t) { n_ += 4; }
  void U64(uint64_t) { n_ += 8; }
  void I64(int64_t) { n_ += 8; }
  void VarU64(uint64_t v) { n_ += VarU64Bytes(v); }
  void Bytes(std::string_view s) { n_ += VarU64Bytes(s.size()) + s.size(); }
  void Raw(std::string_view s) { n_ += s.size(); }
  size_t bytes() const { return n_; }

 private:
  size_t n_ = 0;
};

// ByteWriter's interface over room sized beforehand (by a ByteCounter). Every write checks it
// fits: a counter and a writer that disagree are a bug, not an overflow.
class SpanWriter {
 public:
  SpanWriter(char* begin, size_t size) : p_(begin), end_(begin + size) {}

  void U8(uint8_t v) {
    Room(1);
    *p_++ = static_cast<char>(v);
  }
  void U32(uint32_t v) {
    Room(4);
    StoreU32(p_, v);
    p_ += 4;
  }
  void U64(uint64_t v) {
    Room(8);
    StoreU64(p_, v);
    p_ += 8;
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void VarU64(uint64_t v) {
    Room(VarU64Bytes(v));
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Bytes(std::string_view s) {
    VarU64(s.size());
    Raw(s);
  }
  void Raw(std::string_view s) {
    Room(s.size());
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  // Every byte of the room was written.
  bool full() const { return p_ == end_; }

 private:
  void Room(size_t n) const { KV_ASSERT(static_cast<size_t>(end_ - p_) >= n); }

  char* p_;
  char* end_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool U32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = LoadU32(in_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = LoadU64(in_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool VarU64(uint64_t* v);
  // Reads a varint-length-prefixed string of at most max_bytes.
  bool Bytes(std::string* s, size_t max_bytes);
  bool BytesView(std::string_view* s, size_t max_bytes);
  bool Raw(std::string_view* s, size_t n);

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// 64-bit checksum (XXH3) used by messages, WAL records and snapshots.
uint64_t Checksum64(std::string_view bytes);

}  // namespace kvlab::core
