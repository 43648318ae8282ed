// The simulated network between endpoints (nodes 1..N and clients): per-link latency (base +
// jitter), bandwidth (a link serialises its messages), loss, duplication, reordering and
// partitions (one-way blocks; a symmetric partition is two). Links are FIFO unless a message is
// picked for reordering, like TCP connections that occasionally reconnect.
#pragma once

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "core/rng.h"
#include "core/types.h"
#include "sim/sim_config.h"

namespace kvlab::sim {

using Endpoint = uint32_t;

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;  // deliveries scheduled (a duplicate counts twice).
  uint64_t lost = 0;
  uint64_t blocked = 0;    // dropped by a partition.
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t bytes = 0;
};

class Network {
 public:
  Network(const NetworkModel& model, core::Rng rng) : model_(model), rng_(rng) {}

  // The arrival times of a message of `bytes` sent now: none (lost or blocked), one, or two
  // (duplicated). Draws from the network's own random stream only. `may_duplicate` is false on
  // client connections: a client's TCP stream never hands the server a request twice, while peer
  // messages (retransmissions, reconnects) may arrive twice.
  absl::InlinedVector<core::Nanos, 2> Route(core::Nanos now, Endpoint from, Endpoint to, size_t bytes,
                                            bool may_duplicate = true);

  // One-way block: messages from `from` to `to` are dropped until healed.
  void Block(Endpoint from, Endpoint to) { blocked_.insert(Key(from, to)); }
  void Unblock(Endpoint from, Endpoint to) { blocked_.erase(Key(from, to)); }
  void HealAll() { blocked_.clear(); }
  bool IsBlocked(Endpoint from, Endpoint to) const { return blocked_.contains(Key(from, to)); }

  // Fault knobs that may change mid-run (random fault mode raises and restores them).
  NetworkModel& model() { return model_; }
  const NetworkStats& stats() const { return stats_; }

 private:
  struct LinkState {
    core::Nanos free_at = 0;       // when the link finishes serialising its last message.
    core::Nanos last_arrival = 0;  // FIFO: later messages do not arrive before this.
  };
  static uint64_t Key(Endpoint from, Endpoint to) { return (static_cast<uint64_t>(from) << 32) | to; }
  core::Nanos OneWayDelay();

  NetworkModel model_;
  core::Rng rng_;
  NetworkStats stats_;
  // Lookups only, never iterated: hash order cannot leak into behaviour.
  absl::flat_hash_map<uint64_t, LinkState> links_;
  absl::flat_hash_set<uint64_t> blocked_;
};

}  // namespace kvlab::sim
