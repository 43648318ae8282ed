// The zone test for registers with unique written values. A value's cluster is its write and the
// reads that returned it; f = the earliest return in the cluster, s = the latest call. If f < s
// the cluster must own the register for all of (f, s): a forward zone. Otherwise all its ops
// overlap and it can sit at any single instant of [s, f]: a backward zone. Calls and returns are
// ranks in the key's one order (history_order.h), as in the search: no two events tie.
#include <algorithm>
#include <utility>

#include "workloads/register_ops.h"

namespace kvlab::workloads {
namespace {

constexpr int64_t kBeginning = INT64_MIN;  // the virtual write of the initial "absent".
constexpr size_t kVirtual = SIZE_MAX;

// A value's cluster; its reads are reads[begin, end) of the Clusters below, in op order.
struct Cluster {
  int32_t value = 0;
  size_t write = kVirtual;
  size_t begin = 0;
  size_t end = 0;
  int64_t f = INT64_MAX;  // ranks.
  int64_t s = INT64_MIN;
};

// Every value's cluster in value order (the order the witnesses come from), built by one sort of
// (value, op) pairs rather than a map of vectors: no allocation per value.
struct Clusters {
  std::vector<Cluster> all;
  std::vector<size_t> reads;
};

// Nullopt when a value is written twice or "absent" is written (a del): the test does not apply.
std::optional<Clusters> Gather(const std::vector<RegOp>& ops) {
  std::vector<std::pair<int32_t, size_t>> by_value;
  by_value.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) by_value.emplace_back(ops[i].value, i);
  std::sort(by_value.begin(), by_value.end());
  Clusters c;
  c.reads.reserve(ops.size());
  for (size_t i = 0; i < by_value.size(); ++i) {
    const auto [value, op] = by_value[i];
    if (c.all.empty() || c.all.back().value != value) {
      c.all.push_back(Cluster{.value = value, .begin = c.reads.size(), .end = c.reads.size()});
    }
    Cluster& cl = c.all.back();
    if (!ops[op].is_write) {
      c.reads.push_back(op);
      cl.end = c.reads.size();
      continue;
    }
    if (value == 0 || cl.write != kVirtual) return std::nullopt;  // not unique.
    cl.write = op;
  }
  return c;
}

ZoneVerdict Violation(std::vector<size_t> witness) {
  witness.erase(std::remove(witness.begin(), witness.end(), kVirtual), witness.end());
  return ZoneVerdict{.linearizable = false, .witness = std::move(witness)};
}

std::vector<size_t> Members(const Clusters& all, const Cluster& a, const Cluster& b) {
  std::vector<size_t> m(all.reads.begin() + a.begin, all.reads.begin() + a.end);
  m.insert(m.end(), all.reads.begin() + b.begin, all.reads.begin() + b.end);
  m.push_back(a.write);
  m.push_back(b.write);
  return m;
}

}  // namespace

std::optional<ZoneVerdict> CheckRegisterZones(const std::vector<RegOp>& ops) {
  std::optional<Clusters> gathered = Gather(ops);
  if (!gathered) return std::nullopt;
  Clusters& clusters = *gathered;
  std::vector<const Cluster*> forward, backward;
  for (Cluster& c : clusters.all) {
    const bool no_reads = c.begin == c.end;
    if (c.write == kVirtual && c.value != 0) return Violation({clusters.reads[c.begin]});  // never written.
    if (c.write != kVirtual && !ops[c.write].required && no_reads) continue;               // never applied
    const int64_t wcall = c.write == kVirtual ? kBeginning : ops[c.write].call;
    const int64_t wret = c.write == kVirtual ? kBeginning : ops[c.write].ret;
    c.f = wret;
    c.s = wcall;
    for (size_t k = c.begin; k < c.end; ++k) {
      const size_t r = clusters.reads[k];
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
    if (reach != nullptr && z->f < reach->s) return Violation(Members(clusters, *reach, *z));
    if (reach == nullptr || z->s > reach->s) reach = z;
    furthest.push_back(reach);
  }
  // No backward zone [s, f] inside a forward zone (f1, s1): f1 < s and f < s1.
  for (const Cluster* b : backward) {
    const auto end =
        std::partition_point(forward.begin(), forward.end(), [&](const Cluster* z) { return z->f < b->s; });
    if (end == forward.begin()) continue;
    const Cluster* z = furthest[end - forward.begin() - 1];
    if (b->f < z->s) return Violation(Members(clusters, *z, *b));
  }
  return ZoneVerdict{};
}

}  // namespace kvlab::workloads
