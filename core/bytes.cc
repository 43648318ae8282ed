#include "core/bytes.h"

#include <xxhash.h>

namespace kvlab::core {

void StoreU32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void StoreU64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t LoadU32(const char* src) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  return v;
}
uint64_t LoadU64(const char* src) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  return v;
}

uint64_t Checksum64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

void ByteWriter::U32(uint32_t v) {
  char buf[4];
  StoreU32(buf, v);
  out_->append(buf, 4);
}
void ByteWriter::U64(uint64_t v) {
  char buf[8];
  StoreU64(buf, v);
  out_->append(buf, 8);
}
void ByteWriter::VarU64(uint64_t v) {
  while (v >= 0x80) {
    U8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  U8(static_cast<uint8_t>(v));
}
void ByteWriter::Bytes(std::string_view s) {
  VarU64(s.size());
  out_->append(s);
}

bool ByteReader::U8(uint8_t* v) {
  if (remaining() < 1) return false;
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}
bool ByteReader::U32(uint32_t* v) {
  if (remaining() < 4) return false;
  *v = LoadU32(in_.data() + pos_);
  pos_ += 4;
  return true;
}
bool ByteReader::U64(uint64_t* v) {
  if (remaining() < 8) return false;
  *v = LoadU64(in_.data() + pos_);
  pos_ += 8;
  return true;
}
bool ByteReader::I64(int64_t* v) {
  uint64_t u;
  if (!U64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}
bool ByteReader::VarU64(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte;
    if (!U8(&byte)) return false;
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}
bool ByteReader::BytesView(std::string_view* s, size_t max_bytes) {
  uint64_t n;
  if (!VarU64(&n) || n > max_bytes || n > remaining()) return false;
  *s = in_.substr(pos_, n);
  pos_ += n;
  return true;
}
bool ByteReader::Bytes(std::string* s, size_t max_bytes) {
  std::string_view view;
  if (!BytesView(&view, max_bytes)) return false;
  s->assign(view);
  return true;
}
bool ByteReader::Raw(std::string_view* s, size_t n) {
  if (n > remaining()) return false;
  *s = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace kvlab::core
