// The simulator's agenda: events ordered by (virtual time, sequence number). The sequence number
// is assigned at scheduling time, so ties are broken by scheduling order, never by addresses
// (DESIGN.md, determinism rule 1). (time, seq) is a strict total order, so the pop order does not
// depend on the heap's shape: any correct priority queue gives the same run.
//
// Two structures hold the agenda: a heap for the future, and a FIFO for events scheduled at the
// current time with a seq above every other such event (a fiber woken now, an idle CPU's turn).
// Those are a large share of a run's events; the FIFO takes and gives them in O(1). Pop takes the
// smaller (time, seq) of the two fronts, so the order is exactly the heap-only order.
#pragma once

#include <cstdint>
#include <vector>

#include "core/assert.h"
#include "core/types.h"

namespace kvlab::sim {

enum class EventKind : uint8_t {
  kDeliver = 1,        // a message arrives at an endpoint; arg = payload slot
  kNodeRun = 2,        // a node's CPU is free and its inbox is not empty; target = node
  kTimer = 3,          // a node timer fires; target = node, aux = incarnation, arg = token
  kFiberWake = 4,      // a parked or sleeping fiber becomes runnable; arg = fiber id
  kClientTimeout = 5,  // a client's (possibly superseded) request deadline; target = client
  kFault = 6,          // the fault schedule's next entry; arg = index
  kSyncDone = 7,       // a node's running disk sync completes; target = node, aux = incarnation
  kPeerLost = 8,       // a crashed process's closed connections reach a node; target = node, arg = the dead peer
  kClientClosed = 9,   // the same reaches a client; target = client, arg = the dead node
  kClientGone = 10,    // a client's closed connection reaches a node; target = node, arg = the client
};

struct Event {
  core::Nanos time = 0;
  uint64_t seq = 0;
  uint64_t arg = 0;
  uint32_t target = 0;
  uint32_t aux = 0;
  EventKind kind = EventKind::kDeliver;
};

class EventQueue {
 public:
  // Schedules `ev` (its seq is overwritten). REQUIRES: ev.time >= the last popped time.
  void Push(Event ev) {
    ev.seq = next_seq_++;
    PushWithSeq(ev);
  }
  // Takes the next sequence number without scheduling anything: an event pushed later with it
  // (PushWithSeq) sorts exactly where it would have, had it been pushed now. Lets a client keep
  // one deadline event instead of one per request (see SimClient).
  uint64_t ReserveSeq() { return next_seq_++; }
  // Schedules `ev` with the seq it carries, from ReserveSeq. REQUIRES: (time, seq) after the last
  // popped event's, so the agenda never goes back.
  void PushWithSeq(const Event& ev) {
    KV_ASSERT(ev.time > now_ || (ev.time == now_ && (popped_ == 0 || ev.seq > last_seq_)));
    KV_ASSERT(ev.seq < next_seq_);
    if (ev.time == now_ && (NowEmpty() || ev.seq > now_fifo_.back().seq)) {
      now_fifo_.push_back(ev);
      return;
    }
    heap_.emplace_back();
    SiftUp(heap_.size() - 1, ev);
  }
  bool empty() const { return heap_.empty() && NowEmpty(); }
  size_t size() const { return heap_.size() + (now_fifo_.size() - now_head_); }
  const Event& top() const {
    KV_ASSERT(!empty());
    return NextIsNow() ? now_fifo_[now_head_] : heap_.front();
  }
  Event Pop() {
    KV_ASSERT(!empty());
    const Event ev = NextIsNow() ? PopNow() : PopHeap();
    KV_ASSERT(ev.time >= now_);
    now_ = ev.time;
    last_seq_ = ev.seq;
    ++popped_;
    return ev;
  }
  core::Nanos now() const { return now_; }

 private:
  // A 4-ary min-heap: half the depth of a binary heap, and a node's children share a cache line
  // or two, which matters at the agenda sizes of large runs.
  static constexpr size_t kArity = 4;
  static bool Before(const Event& a, const Event& b) { return a.time != b.time ? a.time < b.time : a.seq < b.seq; }
  // Every FIFO entry has time == now_: the FIFO front precedes any later time, so the FIFO is
  // always empty when time moves on.
  bool NowEmpty() const { return now_head_ == now_fifo_.size(); }
  bool NextIsNow() const { return !NowEmpty() && (heap_.empty() || Before(now_fifo_[now_head_], heap_.front())); }
  Event PopNow() {
    const Event ev = now_fifo_[now_head_++];
    if (NowEmpty()) {
      now_fifo_.clear();
      now_head_ = 0;
    }
    return ev;
  }
  Event PopHeap() {
    const Event ev = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(last);
    return ev;
  }
  // Places `ev` starting from the hole at `i` (the value is kept in registers, not re-read).
  void SiftUp(size_t i, const Event& ev) {
    while (i > 0) {
      const size_t parent = (i - 1) / kArity;
      if (!Before(ev, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = ev;
  }
  // Places `ev` (the former last element) starting from the root hole.
  void SiftDown(const Event& ev) {
    const size_t n = heap_.size();
    size_t i = 0;
    for (;;) {
      const size_t first = i * kArity + 1;
      if (first >= n) break;
      const size_t end = first + kArity < n ? first + kArity : n;
      size_t best = first;
      for (size_t c = first + 1; c < end; ++c) {
        if (Before(heap_[c], heap_[best])) best = c;
      }
      if (!Before(heap_[best], ev)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = ev;
  }

  std::vector<Event> heap_;
  std::vector<Event> now_fifo_;  // from now_head_ on: time == now_, seq increasing.
  size_t now_head_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t last_seq_ = 0;  // seq of the last popped event.
  uint64_t popped_ = 0;
  core::Nanos now_ = 0;
};

}  // namespace kvlab::sim
