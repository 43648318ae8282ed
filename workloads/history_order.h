// The order of a history's events as every checker sees it (issue 10): an operation A precedes B
// iff A's completion comes before B's invocation in this order. Events are ordered by time, and
// at one instant:
//   - with seqs (every recorded history, HistorySequence): by seq, the order they really happened;
//   - without seqs (hand-written or older histories): a client's own operations are sequential, so
//     its returns come before its calls at that instant; other clients' events stay concurrent:
//     calls before returns. One pattern cannot honour both: two clients that each return and call
//     at the same instant (A1 ends, A2 begins, B1 ends, B2 begins). No line of events makes both
//     A2 overlap B1 and B2 overlap A1, so the lower client id goes first (A1 before B2, A2 still
//     overlaps B1), one order the single-threaded driver could have produced.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "workloads/history.h"

namespace kvlab::workloads {

// Positions of the ranked ops' invocations and completions in the order above: a permutation of
// 0 .. 2n-1, with invoke[k] < complete[k] for every ranked op k.
struct EventRanks {
  std::vector<int64_t> invoke;
  std::vector<int64_t> complete;
};

// What the order reads of an op: its two events' times and seqs, and its client.
struct OpTimes {
  core::Nanos invoke_ns = 0;
  core::Nanos complete_ns = 0;
  uint64_t invoke_seq = 0;
  uint64_t complete_seq = 0;
  int client = 0;
};
OpTimes TimesOf(const HistoryOp& op);

// Ranks the events of `ops` among themselves (invoke[k] is ops[k]'s): the form the checkers use
// once they have gathered one key's ops apart from the history.
EventRanks RankEvents(std::span<const OpTimes> ops);
// Ranks the events of the ops history[indexes[k]] (one key's, for the per-key checkers) among
// themselves: the rule at an instant looks only at these ops. invoke[k] is op indexes[k]'s.
EventRanks RankEvents(const std::vector<HistoryOp>& history, const std::vector<size_t>& indexes);
// Ranks every op of `history`: invoke[i] is op i's.
EventRanks RankEvents(const std::vector<HistoryOp>& history);

// The indexes of the ops `wanted` selects, grouped by key, in key order (the checkers' output is
// deterministic) and within a key in history order. The views point into `history`'s keys.
using KeyGroups = std::vector<std::pair<std::string_view, std::vector<size_t>>>;
KeyGroups GroupByKey(const std::vector<HistoryOp>& history, bool (*wanted)(const HistoryOp&));

}  // namespace kvlab::workloads
