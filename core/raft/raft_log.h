// RaftLog: the in-memory Raft log of one node — the entries after the last snapshot, plus the
// index and term of the last entry the snapshot covers (the log's "base"). Indices are 1-based
// and contiguous; index `base_index()` is known only by its term. Durability is RaftStorage's job.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/raft/raft_messages.h"

namespace kvlab::core {

class RaftLog {
 public:
  uint64_t base_index() const { return base_index_; }
  uint64_t base_term() const { return base_term_; }
  uint64_t first_index() const { return base_index_ + 1; }
  uint64_t last_index() const { return base_index_ + entries_.size(); }
  uint64_t last_term() const { return entries_.empty() ? base_term_ : entries_.back().term; }
  size_t size() const { return entries_.size(); }

  // The term of the entry at `index`: known for base_index() ..= last_index(), else nullopt.
  std::optional<uint64_t> TermAt(uint64_t index) const;
  // REQUIRES: first_index() <= index <= last_index().
  const RaftEntry& At(uint64_t index) const;

  // REQUIRES: e.index == last_index() + 1 and e.term >= last_term().
  void Append(RaftEntry e);
  // Append for an entry a leader sent, which it claims follows an entry of `prev_term`.
  // REQUIRES (asserted, Raft §5.3 log matching): the entry at e.index - 1 has term `prev_term`.
  void AppendAfter(RaftEntry e, uint64_t prev_term);
  // Drops the entries at `index` and after. REQUIRES: index > base_index().
  void TruncateFrom(uint64_t index);
  // Drops the entries up to `index` (now covered by a snapshot). REQUIRES: TermAt(index) known.
  void CompactTo(uint64_t index);
  // Discards everything: the log now starts after a snapshot at (index, term).
  void Reset(uint64_t index, uint64_t term);

  // Raft §5.4.1: is a log ending at (last_index, last_term) at least as up-to-date as this one?
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;
  // The first index of the run of entries sharing the term of `index` (fast back-tracking hint).
  uint64_t FirstIndexOfTermAt(uint64_t index) const;
  // The last index holding `term`, or 0 if the log has no entry of that term.
  uint64_t LastIndexOfTerm(uint64_t term) const;

  // Entries [from, from + n) up to `max_bytes` (at least one), as AppendEntries carries them.
  std::vector<RaftEntry> Slice(uint64_t from, size_t max_entries, size_t max_bytes) const;
  const std::vector<RaftEntry>& entries() const { return entries_; }

 private:
  uint64_t base_index_ = 0;
  uint64_t base_term_ = 0;
  std::vector<RaftEntry> entries_;  // entries_[i].index == base_index_ + 1 + i.
};

// Approximate encoded size of an entry, for batching.
size_t RaftEntryBytes(const RaftEntry& e);

}  // namespace kvlab::core
