// The simulator's agenda: events ordered by (virtual time, sequence number). The sequence number
// is assigned at scheduling time, so ties are broken by scheduling order, never by addresses
// (DESIGN.md, determinism rule 1).
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

#include "core/assert.h"
#include "core/types.h"

namespace kvlab::sim {

enum class EventKind : uint8_t {
  kDeliver = 1,     // a message arrives at an endpoint; arg = payload slot
  kNodeRun = 2,     // a node's CPU is free and its inbox is not empty; target = node
  kTimer = 3,       // a node timer fires; target = node, aux = incarnation, arg = token
  kFiberWake = 4,   // a parked or sleeping fiber becomes runnable; arg = fiber id
  kClientTimeout = 5,  // a client request's deadline; target = client, arg = request id
  kFault = 6,       // the fault schedule's next entry; arg = index
};

struct Event {
  core::Nanos time = 0;
  uint64_t seq = 0;
  EventKind kind = EventKind::kDeliver;
  uint32_t target = 0;
  uint32_t aux = 0;
  uint64_t arg = 0;
};

class EventQueue {
 public:
  // Schedules `ev` (its seq is overwritten). REQUIRES: ev.time >= the last popped time.
  void Push(Event ev) {
    KV_ASSERT(ev.time >= now_);
    ev.seq = next_seq_++;
    heap_.push(ev);
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.top(); }
  Event Pop() {
    Event ev = heap_.top();
    heap_.pop();
    KV_ASSERT(ev.time >= now_);
    now_ = ev.time;
    return ev;
  }
  core::Nanos now() const { return now_; }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  uint64_t next_seq_ = 0;
  core::Nanos now_ = 0;
};

}  // namespace kvlab::sim
