#include "core/versioned/version.h"

#include "core/constants.h"

namespace kvlab::core {

void EncodeVersionedEntry(const VersionedEntry& e, ByteWriter& w) {
  w.U64(e.version.stamp);
  w.U32(e.version.node);
  w.U8(e.tombstone ? 1 : 0);
  if (!e.tombstone) w.Bytes(e.value);
}

bool DecodeVersionedEntry(ByteReader& r, VersionedEntry* e) {
  uint8_t flag = 0;
  if (!r.U64(&e->version.stamp) || !r.U32(&e->version.node) || !r.U8(&flag) || flag > 1) return false;
  e->tombstone = flag == 1;
  e->value.clear();
  if (e->tombstone) return true;
  return r.Bytes(&e->value, kMaxValueBytes);
}

}  // namespace kvlab::core
