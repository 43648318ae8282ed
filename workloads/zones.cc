// The zone test for registers with unique written values. A value's cluster is its write and the
// reads that returned it; f = the earliest return in the cluster, s = the latest call. If f < s
// the cluster must own the register for all of (f, s): a forward zone. Otherwise all its ops
// overlap and it can sit at any single instant of [s, f]: a backward zone. Calls and returns are
// ranks in the key's one order (history_order.h), as in the search: no two events tie.
#include <algorithm>

#include "absl/container/btree_map.h"
#include "workloads/register_ops.h"

namespace kvlab::workloads {
namespace {

constexpr int64_t kBeginning = INT64_MIN;  // the virtual write of the initial "absent".
constexpr size_t kVirtual = SIZE_MAX;

struct Cluster {
  size_t write = kVirtual;
  std::vector<size_t> reads;
  int64_t f = INT64_MAX;  // ranks.
  int64_t s = INT64_MIN;
};

ZoneVerdict Violation(std::vector<size_t> witness) {
  witness.erase(std::remove(witness.begin(), witness.end(), kVirtual), witness.end());
  return ZoneVerdict{.linearizable = false, .witness = std::move(witness)};
}

std::vector<size_t> Members(const Cluster& a, const Cluster& b) {
  std::vector<size_t> m = a.reads;
  m.insert(m.end(), b.reads.begin(), b.reads.end());
  m.push_back(a.write);
  m.push_back(b.write);
  return m;
}

}  // namespace

std::optional<ZoneVerdict> CheckRegisterZones(const std::vector<RegOp>& ops) {
  absl::btree_map<int32_t, Cluster> clusters;  // ordered: deterministic witnesses.
  for (size_t i = 0; i < ops.size(); ++i) {
    Cluster& c = clusters[ops[i].value];
    if (!ops[i].is_write) {
      c.reads.push_back(i);
      continue;
    }
    if (ops[i].value == 0 || c.write != kVirtual) return std::nullopt;  // not unique.
    c.write = i;
  }
  std::vector<const Cluster*> forward, backward;
  for (auto& [value, c] : clusters) {
    if (c.write == kVirtual && value != 0) return Violation({c.reads.front()});      // never written.
    if (c.write != kVirtual && !ops[c.write].required && c.reads.empty()) continue;  // never applied
    const int64_t wcall = c.write == kVirtual ? kBeginning : ops[c.write].call;
    const int64_t wret = c.write == kVirtual ? kBeginning : ops[c.write].ret;
    c.f = wret;
    c.s = wcall;
    for (size_t r : c.reads) {
      if (ops[r].ret < wcall) return Violation({c.write, r});  // read ended before its write began.
      c.f = std::min(c.f, ops[r].ret);
      c.s = std::max(c.s, ops[r].call);
    }
    (c.f < c.s ? forward : backward).push_back(&c);
  }
  // Forward zones must be disjoint: sweep by f, remembering the zone reaching furthest.
  std::sort(forward.begin(), forward.end(),
            [](const Cluster* a, const Cluster* b) { return a->f < b->f || (a->f == b->f && a->s < b->s); });
  const Cluster* reach = nullptr;
  std::vector<const Cluster*> furthest;  // furthest[i]: max-s zone among forward[0..i].
  for (const Cluster* z : forward) {
    if (reach != nullptr && z->f < reach->s) return Violation(Members(*reach, *z));
    if (reach == nullptr || z->s > reach->s) reach = z;
    furthest.push_back(reach);
  }
  // No backward zone [s, f] inside a forward zone (f1, s1): f1 < s and f < s1.
  for (const Cluster* b : backward) {
    const auto end =
        std::partition_point(forward.begin(), forward.end(), [&](const Cluster* z) { return z->f < b->s; });
    if (end == forward.begin()) continue;
    const Cluster* z = furthest[end - forward.begin() - 1];
    if (b->f < z->s) return Violation(Members(*z, *b));
  }
  return ZoneVerdict{};
}

}  // namespace kvlab::workloads
