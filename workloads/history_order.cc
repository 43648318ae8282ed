#include "workloads/history_order.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "core/assert.h"
#include "core/string_view_hash.h"

namespace kvlab::workloads {
namespace {

// Where an event falls among the events of its instant (history_order.h).
enum Group : uint8_t {
  kCallOnly = 0,    // a seq-less call of a client that returns nothing at this instant.
  kInTurn = 1,      // an event with a seq (ordered by it), or a seq-less event of a client that
                    // both returns and calls at this instant (ordered by its own op order).
  kReturnOnly = 2,  // a seq-less return of a client that calls nothing at this instant.
};

struct Event {
  core::Nanos time;
  uint64_t seq;       // 0 = none.
  core::Nanos other;  // the time of the op's other event.
  int client;
  uint32_t op;  // position in the ranked ops.
  bool is_complete;
  Group group;

  // The op's place among its client's ops: a sequential client's earlier op has the earlier
  // (invoke, complete), so its return comes before the next op's call at one instant, and a
  // zero-length op's call before its return.
  auto ClientOrder() const {
    return is_complete ? std::make_tuple(client, other, time, op, is_complete)
                       : std::make_tuple(client, time, other, op, is_complete);
  }
};

class Ranker {
 public:
  explicit Ranker(std::span<const OpTimes> ops) : ops_(ops) {}

  EventRanks Run() {
    std::vector<Event> es = Events();
    // By time first (one integer: cheap), then each instant's few events by the full rule.
    std::sort(es.begin(), es.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
    for (size_t begin = 0, end = 0; begin < es.size(); begin = end) {
      for (end = begin + 1; end < es.size() && es[end].time == es[begin].time; ++end) {
      }
      if (end - begin > 1) OrderInstant(es.begin() + begin, es.begin() + end);
    }
    EventRanks ranks;
    ranks.invoke.resize(ops_.size());
    ranks.complete.resize(ops_.size());
    for (size_t r = 0; r < es.size(); ++r) {
      (es[r].is_complete ? ranks.complete : ranks.invoke)[es[r].op] = static_cast<int64_t>(r);
    }
    return ranks;
  }

 private:
  using It = std::vector<Event>::iterator;

  std::vector<Event> Events() const {
    KV_ASSERT(ops_.size() < UINT32_MAX);
    std::vector<Event> es;
    es.reserve(2 * ops_.size());
    for (uint32_t k = 0; k < ops_.size(); ++k) {
      const OpTimes& h = ops_[k];
      KV_ASSERT(h.invoke_ns <= h.complete_ns);
      KV_ASSERT((h.invoke_seq == 0) == (h.complete_seq == 0) && (h.invoke_seq == 0 || h.invoke_seq < h.complete_seq));
      es.push_back({h.invoke_ns, h.invoke_seq, h.complete_ns, h.client, k, false, kInTurn});
      es.push_back({h.complete_ns, h.complete_seq, h.invoke_ns, h.client, k, true, kInTurn});
    }
    return es;
  }

  // Orders the events of one instant: by group, then seq, then by client in its own op order.
  static void OrderInstant(It begin, It end) {
    std::sort(begin, end, [](const Event& a, const Event& b) { return a.ClientOrder() < b.ClientOrder(); });
    GroupSeqless(begin, end);
    std::sort(begin, end, [](const Event& a, const Event& b) {
      if (a.group != b.group) return a.group < b.group;
      if (a.seq != b.seq) return a.seq < b.seq;
      return a.ClientOrder() < b.ClientOrder();
    });
  }

  // Gives each seq-less event of the instant its group: kInTurn when its client has both a
  // seq-less call and a seq-less return here. REQUIRES: [begin, end) sorted by client.
  static void GroupSeqless(It begin, It end) {
    for (It first = begin, last = begin; first != end; first = last) {
      bool calls = false, returns = false;
      for (last = first; last != end && last->client == first->client; ++last) {
        if (last->seq == 0) (last->is_complete ? returns : calls) = true;
      }
      for (It e = first; e != last; ++e) {
        if (e->seq != 0) continue;
        e->group = calls && returns ? kInTurn : e->is_complete ? kReturnOnly : kCallOnly;
      }
    }
  }

  std::span<const OpTimes> ops_;
};

}  // namespace

OpTimes TimesOf(const HistoryOp& op) {
  return {.invoke_ns = op.invoke_ns,
          .complete_ns = op.complete_ns,
          .invoke_seq = op.invoke_seq,
          .complete_seq = op.complete_seq,
          .client = op.client};
}

EventRanks RankEvents(std::span<const OpTimes> ops) { return Ranker(ops).Run(); }

EventRanks RankEvents(const std::vector<HistoryOp>& history, const std::vector<size_t>& indexes) {
  std::vector<OpTimes> ops;
  ops.reserve(indexes.size());
  for (size_t i : indexes) ops.push_back(TimesOf(history[i]));
  return RankEvents(ops);
}

EventRanks RankEvents(const std::vector<HistoryOp>& history) {
  std::vector<size_t> all(history.size());
  std::iota(all.begin(), all.end(), 0);
  return RankEvents(history, all);
}

KeyGroups GroupByKey(const std::vector<HistoryOp>& history, bool (*wanted)(const HistoryOp&)) {
  // Hashing then one sort of the distinct keys: a sorted map would compare keys on every op.
  absl::flat_hash_map<std::string_view, size_t, core::StringViewHash> slot;
  KeyGroups groups;
  for (size_t i = 0; i < history.size(); ++i) {
    if (!wanted(history[i])) continue;
    auto [it, added] = slot.try_emplace(history[i].key, groups.size());
    if (added) groups.emplace_back(history[i].key, std::vector<size_t>());
    groups[it->second].second.push_back(i);
  }
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return groups;
}

}  // namespace kvlab::workloads
