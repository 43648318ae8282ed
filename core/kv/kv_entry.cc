#include "core/kv/kv_entry.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/assert.h"

namespace kvlab::core {

void KvEntry::Free::operator()(KvEntry* e) const {
  if (e->hold_ != Hold::kNone) {  // a snapshot view still has to encode it.
    KV_ASSERT(e->hold_ == Hold::kFrozen);
    e->hold_ = Hold::kOrphaned;
    return;
  }
  e->~KvEntry();
  ::operator delete(static_cast<void*>(e));
}

bool KvEntry::Release() {
  KV_ASSERT(hold_ != Hold::kNone);
  if (hold_ == Hold::kFrozen) {
    hold_ = Hold::kNone;
    return false;
  }
  hold_ = Hold::kNone;
  Free()(this);
  return true;
}

KvEntry::Ptr KvEntry::Make(std::string_view key, std::string_view value, int64_t expire_at_ms, uint64_t version,
                           size_t value_capacity) {
  KV_ASSERT(key.size() <= kMaxKeyBytes && value.size() <= value_capacity && value_capacity <= kMaxValueBytes);
  // The rounding's spare bytes become capacity, never beyond the value limit.
  const size_t rounded = AllocationBytes(key.size(), value_capacity) - HeaderBytes() - key.size();
  const size_t capacity = std::min(rounded, kMaxValueBytes);
  void* memory = ::operator new(AllocationBytes(key.size(), capacity));
  auto* e = new (memory) KvEntry(expire_at_ms, version, static_cast<uint32_t>(key.size()),
                                 static_cast<uint32_t>(value.size()), static_cast<uint32_t>(capacity));
  if (!key.empty()) std::memcpy(e->bytes(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->bytes() + key.size(), value.data(), value.size());
  return Ptr(e);
}

bool KvEntry::AssignInPlace(std::string_view value) {
  KV_ASSERT(!frozen());
  if (value.size() > value_capacity_) return false;
  // memmove: `value` may view this entry's own bytes.
  if (!value.empty()) std::memmove(bytes() + key_size_, value.data(), value.size());
  value_size_ = static_cast<uint32_t>(value.size());
  return true;
}

bool KvEntry::AppendInPlace(std::string_view tail) {
  KV_ASSERT(!frozen());
  if (tail.size() > value_capacity_ - value_size_) return false;
  if (!tail.empty()) std::memmove(bytes() + key_size_ + value_size_, tail.data(), tail.size());
  value_size_ += static_cast<uint32_t>(tail.size());
  return true;
}

}  // namespace kvlab::core
