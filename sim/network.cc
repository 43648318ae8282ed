#include "sim/network.h"

#include <algorithm>

#include "core/assert.h"

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
  if (IsHeld(from, to)) {
    ++stats_.held;
    return arrivals;
  }
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

bool Network::IsHeldLookup(Endpoint from, Endpoint to) const {
  auto it = blocked_.find(Key(from, to));
  return it != blocked_.end() && it->second;
}

void Network::Park(Endpoint from, Endpoint to, uint64_t token) {
  KV_ASSERT(IsHeld(from, to));
  held_[Key(from, to)].push_back(token);
}

size_t Network::held_now() const {
  size_t n = 0;
  for (const auto& [key, tokens] : held_) n += tokens.size();
  return n;
}

void Network::ReleaseLink(uint64_t key, core::Nanos now, std::vector<Released>& out) {
  auto it = held_.find(key);
  if (it == held_.end()) return;
  for (uint64_t token : it->second) {
    core::Nanos arrival = now + OneWayDelay();
    if (model_.release_spread_ns > 0) arrival += rng_.UniformRange(0, model_.release_spread_ns);
    out.push_back(Released{.token = token, .arrival = arrival});
    ++stats_.released;
  }
  held_.erase(it);
}

std::vector<Network::Released> Network::Unblock(Endpoint from, Endpoint to, core::Nanos now) {
  std::vector<Released> out;
  blocked_.erase(Key(from, to));
  ReleaseLink(Key(from, to), now, out);
  return out;
}

std::vector<Network::Released> Network::HealAll(core::Nanos now) {
  std::vector<Released> out;
  blocked_.clear();
  while (!held_.empty()) ReleaseLink(held_.begin()->first, now, out);
  return out;
}

}  // namespace kvlab::sim
