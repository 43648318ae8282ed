// KvEntry: one stored key-value pair as ONE heap allocation: a small header (expiry, WATCH
// version, sizes), then the key bytes, then the value bytes with room to grow. KvState keeps only
// an 8-byte owning pointer per key in its hash set, so a key costs its allocation plus a slot
// (issue 17: memory per key at or below Redis's). Entries never move once allocated, so a pointer
// to one stays valid while the set rehashes; a value that outgrows its capacity reallocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/assert.h"
#include "core/constants.h"

namespace kvlab::core {

class KvEntry {
 public:
  // Frees an entry made by Make (the deleter of KvEntryPtr); an entry a snapshot view holds
  // (frozen) is orphaned instead: left to the view, which frees it once it has encoded it.
  struct Free {
    void operator()(KvEntry* e) const;
  };
  using Ptr = std::unique_ptr<KvEntry, Free>;

  // A new entry holding copies of `key` and `value`, its capacity at least `value_capacity`
  // (rounded up so that the whole allocation is a multiple of kAllocationGrainBytes).
  // REQUIRES: key.size() <= kMaxKeyBytes, value.size() <= value_capacity <= kMaxValueBytes.
  static Ptr Make(std::string_view key, std::string_view value, int64_t expire_at_ms, uint64_t version,
                  size_t value_capacity);
  static Ptr Make(std::string_view key, std::string_view value, int64_t expire_at_ms, uint64_t version) {
    return Make(key, value, expire_at_ms, version, value.size());
  }
  // A deep copy (same key, value, expiry and version; capacity trimmed to the value).
  Ptr Clone() const { return Make(key(), value(), expire_at_ms_, version_); }

  KvEntry(const KvEntry&) = delete;
  KvEntry& operator=(const KvEntry&) = delete;

  std::string_view key() const { return {bytes(), key_size_}; }
  std::string_view value() const { return {bytes() + key_size_, value_size_}; }
  size_t value_capacity() const { return value_capacity_; }
  int64_t expire_at_ms() const { return expire_at_ms_; }  // absolute, 0 = never (Redis).
  uint64_t version() const { return version_; }           // the state's sequence at its last change.
  void set_expire_at_ms(int64_t t) {
    KV_ASSERT(!frozen());
    expire_at_ms_ = t;
  }
  void set_version(uint64_t v) {
    KV_ASSERT(!frozen());
    version_ = v;
  }
  // Bytes this entry holds on the heap: header, key and value capacity.
  size_t allocated_bytes() const { return AllocationBytes(key_size_, value_capacity_); }

  // A snapshot view's hold (KvState::Freeze): while frozen the entry must not change (the setters
  // assert it; its owner writes a copy instead), and its owner's delete orphans it (Free).
  bool frozen() const { return hold_ != Hold::kNone; }
  void Freeze() { hold_ = Hold::kFrozen; }
  // The view is done with it: frees it if its owner already let it go, else hands it back.
  // Returns true when it was freed.
  bool Release();

  // Replaces the value when it fits the capacity (the entry stays where it is); false, unchanged,
  // when it does not.
  bool AssignInPlace(std::string_view value);
  // Appends when the result fits the capacity; false, unchanged, when it does not.
  bool AppendInPlace(std::string_view tail);

  // Equal key, value, expiry and version (capacity does not count).
  bool operator==(const KvEntry& o) const {
    return key() == o.key() && value() == o.value() && expire_at_ms_ == o.expire_at_ms_ && version_ == o.version_;
  }

  // glibc's and jemalloc's small allocations come in multiples of 16: capacity up to the next one
  // is free, and a later overwrite a few bytes longer still fits in place.
  static constexpr size_t kAllocationGrainBytes = 16;
  // The header before the key bytes.
  static constexpr size_t HeaderBytes() { return sizeof(KvEntry); }
  static constexpr size_t AllocationBytes(size_t key_bytes, size_t value_capacity) {
    return (HeaderBytes() + key_bytes + value_capacity + kAllocationGrainBytes - 1) / kAllocationGrainBytes *
           kAllocationGrainBytes;
  }

 private:
  KvEntry(int64_t expire_at_ms, uint64_t version, uint32_t key_size, uint32_t value_size, uint32_t value_capacity)
      : expire_at_ms_(expire_at_ms),
        version_(version),
        key_size_(key_size),
        value_size_(value_size),
        value_capacity_(value_capacity) {}
  ~KvEntry() = default;

  // The key and value bytes follow the header in the same allocation.
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }

  enum class Hold : uint8_t { kNone, kFrozen, kOrphaned };

  int64_t expire_at_ms_;
  uint64_t version_;
  uint32_t key_size_;
  uint32_t value_size_;
  uint32_t value_capacity_;
  Hold hold_ = Hold::kNone;  // in the header's padding: costs no byte.
};

using KvEntryPtr = KvEntry::Ptr;

// Every size fits the header's 32-bit fields, and the header stays small (32 bytes on 64-bit).
static_assert(kMaxValueBytes <= UINT32_MAX && kMaxKeyBytes <= UINT32_MAX);
static_assert(KvEntry::HeaderBytes() <= 32);
static_assert(sizeof(KvEntryPtr) == sizeof(void*), "the hash set's slot is one pointer");

}  // namespace kvlab::core
