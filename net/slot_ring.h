// A FIFO of per-request reply slots in a power-of-two ring. Slots and the capacity of their byte
// strings are reused, so a pipelined request costs no allocation for its place in the reply order
// (a std::deque allocates a block every few requests and frees it again as replies drain).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.h"

namespace kvlab::net {

struct ReplySlot {
  bool ready = false;
  std::string bytes;  // the reply, when it was answered before the replies ahead of it.
};

class SlotRing {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ReplySlot& operator[](size_t i) {
    KV_ASSERT(i < size_);
    return slots_[(head_ + i) & (slots_.size() - 1)];
  }
  ReplySlot& front() { return (*this)[0]; }

  // Appends an empty, not-ready slot.
  ReplySlot& push_back() {
    if (size_ == slots_.size()) Grow();
    ReplySlot& s = slots_[(head_ + size_) & (slots_.size() - 1)];
    ++size_;
    s.ready = false;
    s.bytes.clear();
    return s;
  }
  void pop_front() {
    KV_ASSERT(size_ > 0);
    ReplySlot& s = slots_[head_];
    if (s.bytes.capacity() > kKeepSlotBytes) std::string().swap(s.bytes);
    head_ = (head_ + 1) & (slots_.size() - 1);
    if (--size_ == 0 && slots_.size() > kKeepSlots) {  // after a burst: give the memory back.
      std::vector<ReplySlot>().swap(slots_);
      head_ = 0;
    }
  }

 private:
  static constexpr size_t kInitialSlots = 16;
  static constexpr size_t kKeepSlots = 1024;
  static constexpr size_t kKeepSlotBytes = 4096;

  void Grow() {
    std::vector<ReplySlot> grown(slots_.empty() ? kInitialSlots : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) grown[i] = std::move((*this)[i]);
    slots_.swap(grown);
    head_ = 0;
  }

  std::vector<ReplySlot> slots_;  // size is zero or a power of two.
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace kvlab::net
