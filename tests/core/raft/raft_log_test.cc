// RaftLog's own contract, and the log-matching invariant it asserts on every follower append.
#include "core/raft/raft_log.h"

#include <gtest/gtest.h>

namespace kvlab::core {
namespace {

RaftEntry Entry(uint64_t term, uint64_t index) {
  RaftEntry e;
  e.term = term;
  e.index = index;
  e.command = Command::Put("k", "v");
  return e;
}

TEST(RaftLogTest, AppendAfterTakesAnEntryThatFollowsTheClaimedTerm) {
  RaftLog log;
  log.AppendAfter(Entry(1, 1), 0);  // index 0 has term 0: the empty log's base.
  log.AppendAfter(Entry(2, 2), 1);
  EXPECT_EQ(log.last_index(), 2u);
  EXPECT_EQ(log.last_term(), 2u);
}

TEST(RaftLogTest, AppendAfterAnEntryOfAnotherTermThanClaimedDies) {
  RaftLog log;
  log.Append(Entry(1, 1));
  // The leader claims entry 1 has term 2: the consistency check missed a conflict.
  EXPECT_DEATH(log.AppendAfter(Entry(2, 2), 2), "TermAt\\(e.index - 1\\) == prev_term");
}

TEST(RaftLogTest, AppendAfterASnapshotBaseChecksTheBaseTerm) {
  RaftLog log;
  log.Reset(10, 3);
  log.AppendAfter(Entry(3, 11), 3);
  EXPECT_EQ(log.last_index(), 11u);
  RaftLog other;
  other.Reset(10, 3);
  EXPECT_DEATH(other.AppendAfter(Entry(4, 11), 4), "prev_term");
}

}  // namespace
}  // namespace kvlab::core
