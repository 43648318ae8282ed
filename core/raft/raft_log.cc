#include "core/raft/raft_log.h"

#include <utility>

#include "core/assert.h"

namespace kvlab::core {

std::optional<uint64_t> RaftLog::TermAt(uint64_t index) const {
  if (index == base_index_) return base_term_;
  if (index < base_index_ || index > last_index()) return std::nullopt;
  return entries_[index - base_index_ - 1].term;
}

const RaftEntry& RaftLog::At(uint64_t index) const {
  KV_ASSERT(index > base_index_ && index <= last_index());
  const RaftEntry& e = entries_[index - base_index_ - 1];
  KV_ASSERT(e.index == index);
  return e;
}

void RaftLog::Append(RaftEntry e) {
  KV_ASSERT(e.index == last_index() + 1);
  KV_ASSERT(e.term >= last_term());
  entries_.push_back(std::move(e));
}

void RaftLog::AppendAfter(RaftEntry e, uint64_t prev_term) {
  // Log matching (§5.3): the follower checked prev_index/prev_term and truncated conflicts, so
  // the entry before this one is the one the leader has there. A mismatch means the consistency
  // check or the truncation is broken, and the two logs would silently diverge from here on.
  KV_ASSERT(TermAt(e.index - 1) == prev_term);
  Append(std::move(e));
}

void RaftLog::TruncateFrom(uint64_t index) {
  KV_ASSERT(index > base_index_);
  if (index > last_index()) return;
  entries_.resize(index - base_index_ - 1);
}

void RaftLog::CompactTo(uint64_t index) {
  std::optional<uint64_t> term = TermAt(index);
  KV_ASSERT(term.has_value());
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(index - base_index_));
  base_index_ = index;
  base_term_ = *term;
}

void RaftLog::Reset(uint64_t index, uint64_t term) {
  entries_.clear();
  base_index_ = index;
  base_term_ = term;
}

bool RaftLog::IsUpToDate(uint64_t other_last_index, uint64_t other_last_term) const {
  if (other_last_term != last_term()) return other_last_term > last_term();
  return other_last_index >= last_index();
}

uint64_t RaftLog::FirstIndexOfTermAt(uint64_t index) const {
  std::optional<uint64_t> term = TermAt(index);
  KV_ASSERT(term.has_value());
  uint64_t i = index;
  while (i > first_index() && TermAt(i - 1) == term) --i;
  return i;
}

uint64_t RaftLog::LastIndexOfTerm(uint64_t term) const {
  for (uint64_t i = last_index(); i > base_index_; --i) {
    const uint64_t t = entries_[i - base_index_ - 1].term;
    if (t == term) return i;
    if (t < term) return 0;  // terms only grow along the log.
  }
  return base_term_ == term ? base_index_ : 0;
}

std::vector<RaftEntry> RaftLog::Slice(uint64_t from, size_t max_entries, size_t max_bytes) const {
  std::vector<RaftEntry> out;
  size_t bytes = 0;
  for (uint64_t i = from; i <= last_index() && out.size() < max_entries; ++i) {
    const RaftEntry& e = At(i);
    bytes += RaftEntryBytes(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

size_t RaftEntryBytes(const RaftEntry& e) {
  size_t n = 48;
  for (const std::string& k : e.command.keys) n += k.size() + 2;
  for (const std::string& v : e.command.values) n += v.size() + 4;
  return n;
}

}  // namespace kvlab::core
