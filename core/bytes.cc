#include "core/bytes.h"

#include <xxhash.h>

namespace kvlab::core {

uint64_t Checksum64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

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
