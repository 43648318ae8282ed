// A growable byte buffer for socket input: bytes are appended at the end by read() and consumed
// from the front by the parser, without zero-filling the space handed to read().
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "core/assert.h"

namespace kvlab::net {

class InputBuffer {
 public:
  std::string_view Readable() const { return {data_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  size_t capacity() const { return cap_; }

  void Consume(size_t n) {
    KV_ASSERT(n <= size());
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Returns space for at least `n` more bytes at the end (moving or growing the storage).
  char* PrepareAppend(size_t n) {
    if (cap_ - end_ < n) {
      const size_t live = size();
      if (begin_ > 0 && cap_ - live >= n) {
        std::memmove(data_.get(), data_.get() + begin_, live);
      } else {
        size_t cap = cap_ == 0 ? n : cap_;
        while (cap < live + n) cap *= 2;
        std::unique_ptr<char[]> grown(new char[cap]);
        if (live > 0) std::memcpy(grown.get(), data_.get() + begin_, live);
        data_ = std::move(grown);
        cap_ = cap;
      }
      begin_ = 0;
      end_ = live;
    }
    return data_.get() + end_;
  }
  void CommitAppend(size_t n) {
    KV_ASSERT(end_ + n <= cap_);
    end_ += n;
  }

  // Frees the storage when empty and larger than `keep` (after a one-off huge value).
  void ShrinkIfEmpty(size_t keep) {
    if (size() == 0 && cap_ > keep) {
      data_.reset();
      cap_ = begin_ = end_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace kvlab::net
