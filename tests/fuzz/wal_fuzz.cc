// libFuzzer target: ReadWal over arbitrary file contents must return records or a Status, never
// crash; whatever it accepts must be a prefix of the file that re-reads to the same records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/assert.h"
#include "core/kv/wal.h"
#include "core/rng.h"
#include "tests/support/mem_disk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  kvlab::core::MemDisk disk;  // core only: the fuzz binary links kvlab_core alone.
  KV_ASSERT(disk.Append("wal", bytes).ok());
  KV_ASSERT(disk.Sync("wal").ok());
  absl::StatusOr<kvlab::core::WalContents> got = kvlab::core::ReadWal(disk, "wal");
  if (!got.ok()) return 0;
  KV_ASSERT(got->valid_bytes <= size);
  // Recovery is idempotent: the truncated file re-reads to the same records, with no tail.
  absl::StatusOr<kvlab::core::WalContents> again = kvlab::core::ReadWal(disk, "wal");
  KV_ASSERT(again.ok());
  KV_ASSERT(again->records == got->records);
  KV_ASSERT(!again->torn_tail_cut);
  return 0;
}
