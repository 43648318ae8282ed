// Little-endian binary encoding helpers shared by the message codec, the WAL and snapshots.
// ByteReader never reads past its input: every getter returns false on underflow or on a length
// above the caller's limit, and the caller turns that into an absl::Status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvlab::core {

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void VarU64(uint64_t v);  // LEB128.
  void Bytes(std::string_view s);  // varint length + bytes.
  void Raw(std::string_view s) { out_->append(s); }

 private:
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U8(uint8_t* v);
  bool U32(uint32_t* v);
  bool U64(uint64_t* v);
  bool I64(int64_t* v);
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

// Fixed-width little-endian load/store on raw buffers (no alignment requirements).
void StoreU32(char* dst, uint32_t v);
void StoreU64(char* dst, uint64_t v);
uint32_t LoadU32(const char* src);
uint64_t LoadU64(const char* src);

// 64-bit checksum (XXH3) used by messages, WAL records and snapshots.
uint64_t Checksum64(std::string_view bytes);

}  // namespace kvlab::core
