#include "sim/network.h"

#include <algorithm>

namespace kvlab::sim {

core::Nanos Network::OneWayDelay() {
  core::Nanos d = model_.latency_ns;
  if (model_.jitter_ns > 0) d += rng_.UniformRange(0, model_.jitter_ns);
  return d;
}

absl::InlinedVector<core::Nanos, 2> Network::Route(core::Nanos now, Endpoint from, Endpoint to, size_t bytes,
                                                   bool may_duplicate) {
  absl::InlinedVector<core::Nanos, 2> arrivals;
  ++stats_.sent;
  stats_.bytes += bytes;
  // Every draw happens whether or not the message survives, so one message's fate never shifts
  // the random numbers of the next one differently depending on partitions.
  const bool lost = rng_.ChancePpm(model_.loss_ppm);
  const bool duplicated = rng_.ChancePpm(model_.duplicate_ppm) && may_duplicate;
  const bool reordered = rng_.ChancePpm(model_.reorder_ppm);
  if (IsBlocked(from, to)) {
    ++stats_.blocked;
    return arrivals;
  }
  if (lost) {
    ++stats_.lost;
    return arrivals;
  }
  LinkState& link = links_[Key(from, to)];
  core::Nanos tx_end = std::max(now, link.free_at);
  if (model_.bandwidth_bytes_per_sec > 0) {
    tx_end += static_cast<core::Nanos>(static_cast<unsigned __int128>(bytes) * core::kNanosPerSecond /
                                       model_.bandwidth_bytes_per_sec);
  }
  link.free_at = tx_end;
  core::Nanos arrival = tx_end + OneWayDelay();
  if (reordered) {
    ++stats_.reordered;
    arrival += rng_.UniformRange(0, model_.reorder_extra_ns);
  } else {
    arrival = std::max(arrival, link.last_arrival);
    link.last_arrival = arrival;
  }
  arrivals.push_back(arrival);
  if (duplicated) {
    ++stats_.duplicated;
    arrivals.push_back(arrival + OneWayDelay());
  }
  stats_.delivered += arrivals.size();
  return arrivals;
}

}  // namespace kvlab::sim
