// The simulated network between endpoints (nodes 1..N and clients): per-link latency (base +
// jitter), bandwidth (a link serialises its messages), loss, duplication, reordering and
// partitions (one-way blocks; a symmetric partition is two) that drop or buffer. Links are FIFO
// unless a message is picked for reordering, like TCP connections that occasionally reconnect.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
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
  uint64_t blocked = 0;   // dropped by a partition.
  uint64_t held = 0;      // held by a buffering block (a stalled link).
  uint64_t released = 0;  // held messages delivered after their link reopened.
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t bytes = 0;
};

class Network {
 public:
  Network(const NetworkModel& model, core::Rng rng) : model_(model), rng_(rng) {}

  // The arrival times of a message of `bytes` sent now: none (lost, blocked or held), one, or two
  // (duplicated). A held message (IsHeld) is the caller's to Park. Draws from the network's own
  // random stream only. `may_duplicate` is false on
  // client connections: a client's TCP stream never hands the server a request twice, while peer
  // messages (retransmissions, reconnects) may arrive twice.
  absl::InlinedVector<core::Nanos, 2> Route(core::Nanos now, Endpoint from, Endpoint to, size_t bytes,
                                            bool may_duplicate = true);

  // One-way block of the link `from` -> `to` until it is reopened. A dropping block loses what is
  // sent (a cut cable, a firewall); a buffering one holds it, as a stalled TCP connection does,
  // and delivers it after the link reopens. Blocking a blocked link sets its kind; what it holds
  // stays held.
  void Block(Endpoint from, Endpoint to, bool buffered = false) { blocked_[Key(from, to)] = buffered; }
  // Both skip the lookup while no link is blocked (nearly always): every message asks.
  bool IsBlocked(Endpoint from, Endpoint to) const { return !blocked_.empty() && blocked_.contains(Key(from, to)); }
  bool IsHeld(Endpoint from, Endpoint to) const { return !blocked_.empty() && IsHeldLookup(from, to); }
  // Keeps `token` (the caller's handle of a held message) until its link reopens.
  // REQUIRES: IsHeld(from, to).
  void Park(Endpoint from, Endpoint to, uint64_t token);

  // A held message's new arrival time, drawn when its link reopened at `now`: the link delay plus
  // uniform [0, release_spread_ns], so held messages arrive late, out of order with each other
  // and with messages sent after the release.
  struct Released {
    uint64_t token = 0;
    core::Nanos arrival = 0;
  };
  // Reopens one link / every link; returns the messages they held, in the order they were sent
  // per link and links in (from, to) order.
  std::vector<Released> Unblock(Endpoint from, Endpoint to, core::Nanos now);
  std::vector<Released> HealAll(core::Nanos now);
  size_t held_now() const;

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
  bool IsHeldLookup(Endpoint from, Endpoint to) const;

  NetworkModel model_;
  core::Rng rng_;
  NetworkStats stats_;
  // Lookups only, never iterated: hash order cannot leak into behaviour.
  absl::flat_hash_map<uint64_t, LinkState> links_;
  absl::flat_hash_map<uint64_t, bool> blocked_;  // link -> buffered.
  // Held messages per link; iterated on release, so ordered.
  absl::btree_map<uint64_t, std::vector<uint64_t>> held_;
  void ReleaseLink(uint64_t key, core::Nanos now, std::vector<Released>& out);
};

}  // namespace kvlab::sim
