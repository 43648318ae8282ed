// Unit tests of the raft policy's rules, on fake Envs wired by hand (tests/core/raft_test_env.h).
#include "core/raft/raft_node.h"

#include <gtest/gtest.h>

#include <optional>

#include "core/policy/registry.h"
#include "core/raft/raft_policy.h"
#include "tests/core/raft/raft_test_env.h"

namespace kvlab::core {
namespace {

using raft_test::Cluster;
using raft_test::FakeEnv;
using raft_test::Members;

Message Msg(NodeId from, NodeId to, MessageType type, MessageBody body) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.body = std::move(body);
  return m;
}

// A raft message from `from` to `to`, framed as raft's PeerMessage.
Message Msg(NodeId from, NodeId to, const RaftMessage& body) {
  return Msg(from, to, MessageType::kPeer, EncodeRaftMessage(body));
}

// The raft message `m` carries, if it is one of type T.
template <typename T>
std::optional<T> RaftOf(const Message& m) {
  const auto* peer = std::get_if<PeerMessage>(&m.body);
  if (peer == nullptr) return std::nullopt;
  absl::StatusOr<RaftMessage> decoded = DecodeRaftMessage(*peer);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  if (!decoded.ok() || !std::holds_alternative<T>(*decoded)) return std::nullopt;
  return std::get<T>(*std::move(decoded));
}

template <typename T>
std::vector<T> SentOf(FakeEnv& env) {
  std::vector<T> out;
  for (const Message& m : env.sent) {
    if (std::optional<T> b = RaftOf<T>(m)) out.push_back(*std::move(b));
  }
  return out;
}

RaftEntry Entry(uint64_t term, uint64_t index, std::string key = "k", std::string value = "v") {
  RaftEntry e;
  e.term = term;
  e.index = index;
  e.command = Command::Put(std::move(key), std::move(value));
  return e;
}

// One node under test (id 1 of 3) fed messages by the test in the role of nodes 2 and 3.
struct Solo {
  FakeEnv env{1};
  std::unique_ptr<RaftNode> node;
  Solo() { Boot(); }
  void Boot() {
    node = std::make_unique<RaftNode>(Members(1, 3), env);
    absl::Status st = node->Start();
    EXPECT_TRUE(st.ok()) << st;
  }
  // One turn for message `m`, then (unless holding syncs) the turns completing its syncs.
  void Deliver(Message m) {
    node->OnMessage(m);
    node->EndTurn();
    if (!hold_syncs) env.CompleteSyncs(*node);
  }
  bool hold_syncs = false;
  void Append(NodeId leader, RaftAppend a) { Deliver(Msg(leader, 1, std::move(a))); }
  RaftAppendReply LastAppendReply() {
    auto replies = SentOf<RaftAppendReply>(env);
    EXPECT_FALSE(replies.empty());
    return replies.empty() ? RaftAppendReply{} : replies.back();
  }
  // Makes node 1 leader of term 1 by timing out and collecting votes from node 2.
  void BecomeLeader() {
    env.now += kRaftElectionMax + kRaftTick;
    node->OnTimer(1);
    node->EndTurn();
    env.CompleteSyncs(*node);
    Deliver(Msg(2, 1, RaftVoteReply{node->term() + 1, true, true}));
    Deliver(Msg(2, 1, RaftVoteReply{node->term(), false, true}));
    ASSERT_EQ(node->role(), RaftRole::kLeader);
  }
};

// Issue 11's comparison `raft,raft:election_timeout_ms=50..100`: a shorter election timeout is a
// valid setting by itself, its heartbeat following it unless raft.heartbeat_ms is given.
TEST(RaftPolicyTest, HeartbeatFollowsTheElectionTimeoutUnlessGiven) {
  absl::StatusOr<PolicyChoice> defaults = ParsePolicyChoice("raft");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(RaftOptionsFrom(defaults->params).heartbeat, kRaftHeartbeat);
  absl::StatusOr<PolicyChoice> fast = ParsePolicyChoice("raft:election_timeout_ms=50..100");
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_EQ(RaftOptionsFrom(fast->params).heartbeat, Millis(16));
  EXPECT_EQ(fast->label(), "raft:election_timeout_ms=50..100");
  absl::StatusOr<PolicyChoice> given = ParsePolicyChoice("raft:election_timeout_ms=50..100:heartbeat_ms=20");
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(RaftOptionsFrom(given->params).heartbeat, Millis(20));
  EXPECT_FALSE(ParsePolicyChoice("raft:election_timeout_ms=50..100:heartbeat_ms=25").ok());
}

TEST(RaftNodeTest, FollowerAppendsEntriesAndAcksWithMatchIndex) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1), Entry(1, 2)}});
  RaftAppendReply r = s.LastAppendReply();
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.match_index, 2u);
  EXPECT_EQ(s.node->log().last_index(), 2u);
  EXPECT_EQ(s.node->leader(), 2u);
}

TEST(RaftNodeTest, FollowerRejectsAppendWithMismatchedPrevLogTerm) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1), Entry(1, 2), Entry(1, 3)}});
  s.env.sent.clear();
  s.Append(3, RaftAppend{.term = 2, .prev_index = 3, .prev_term = 2, .entries = {Entry(2, 4)}});
  RaftAppendReply r = s.LastAppendReply();
  EXPECT_FALSE(r.success);
  // Fast back-tracking hint: the follower's term at prev_index and where that term starts.
  EXPECT_EQ(r.conflict_term, 1u);
  EXPECT_EQ(r.conflict_index, 1u);
  EXPECT_EQ(s.node->log().last_index(), 3u);
}

TEST(RaftNodeTest, FollowerWithShortLogHintsItsLength) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .prev_index = 7, .prev_term = 1, .entries = {}});
  RaftAppendReply r = s.LastAppendReply();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.conflict_index, 1u);
  EXPECT_EQ(r.conflict_term, 0u);
}

TEST(RaftNodeTest, FollowerTruncatesConflictingSuffixDurably) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1), Entry(1, 2, "a", "old"), Entry(1, 3)}});
  s.Append(3, RaftAppend{.term = 2, .prev_index = 1, .prev_term = 1, .entries = {Entry(2, 2, "a", "new")}});
  EXPECT_TRUE(s.LastAppendReply().success);
  EXPECT_EQ(s.node->log().last_index(), 2u);
  EXPECT_EQ(s.node->log().At(2).term, 2u);
  // The truncation survives a crash and a restart.
  s.node.reset();
  s.env.mem_disk.Crash();
  s.Boot();
  EXPECT_EQ(s.node->log().last_index(), 2u);
  EXPECT_EQ(s.node->log().At(2).command.values[0], "new");
  EXPECT_EQ(s.node->term(), 2u);
}

TEST(RaftNodeTest, DuplicateOldAppendDoesNotTruncateMatchingEntries) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1), Entry(1, 2), Entry(1, 3)}});
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});
  EXPECT_EQ(s.node->log().last_index(), 3u);
  EXPECT_EQ(s.LastAppendReply().match_index, 1u);
}

TEST(RaftNodeTest, FollowerAcksAppendOnlyAfterItsSyncCompletes) {
  Solo s;
  s.node->OnMessage(Msg(2, 1, RaftAppend{.term = 1, .entries = {Entry(1, 1)}}));
  s.node->EndTurn();
  EXPECT_TRUE(SentOf<RaftAppendReply>(s.env).empty()) << "the ack must wait for the sync";
  EXPECT_EQ(s.env.mem_disk.pending_syncs(), 1u);
  EXPECT_EQ(s.node->held_messages(), 1u);
  EXPECT_EQ(s.env.CompleteSyncs(*s.node), 1);
  EXPECT_TRUE(s.LastAppendReply().success);
  s.node.reset();
  s.env.mem_disk.Crash();
  s.Boot();
  EXPECT_EQ(s.node->log().last_index(), 1u);
}

TEST(RaftNodeTest, CrashBeforeTheSyncLosesTheEntryAndNoAckLeft) {
  Solo s;
  s.node->OnMessage(Msg(2, 1, RaftAppend{.term = 1, .entries = {Entry(1, 1)}}));
  s.node->EndTurn();
  s.node.reset();
  s.env.mem_disk.Crash();  // the sync in flight is lost with the power.
  EXPECT_TRUE(SentOf<RaftAppendReply>(s.env).empty());
  s.Boot();
  EXPECT_EQ(s.node->log().last_index(), 0u);
}

TEST(RaftNodeTest, AppendsArrivingDuringASyncAreCoveredByTheNext) {
  Solo s;
  s.hold_syncs = true;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});
  s.Append(2, RaftAppend{.term = 1, .prev_index = 1, .prev_term = 1, .entries = {Entry(1, 2)}});
  EXPECT_EQ(s.env.mem_disk.pending_syncs(), 1u) << "one sync in flight at a time";
  MemDisk::Completion first = s.env.mem_disk.CompleteOldestSync();
  s.node->OnSyncDone(first.token, first.status);
  s.node->EndTurn();  // releases the first ack, starts the sync covering entry 2.
  std::vector<RaftAppendReply> acks = SentOf<RaftAppendReply>(s.env);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].match_index, 1u);
  EXPECT_EQ(s.env.mem_disk.pending_syncs(), 1u);
  s.env.CompleteSyncs(*s.node);
  acks = SentOf<RaftAppendReply>(s.env);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].match_index, 2u);
}

// A slow fsync of new entries must not hold back the ack of a heartbeat for entries already
// durable: the leader's ReadIndex rounds and check-quorum count on those acks.
TEST(RaftNodeTest, HeartbeatAckForSyncedEntriesLeavesWhileALaterSyncIsInFlight) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});  // synced and acked.
  s.hold_syncs = true;
  s.Append(2, RaftAppend{.term = 1, .prev_index = 1, .prev_term = 1, .entries = {Entry(1, 2)}});
  ASSERT_EQ(s.env.mem_disk.pending_syncs(), 1u);
  s.env.sent.clear();
  s.Append(2, RaftAppend{.term = 1, .prev_index = 1, .prev_term = 1, .read_seq = 5, .entries = {}});
  RaftAppendReply hb = s.LastAppendReply();
  EXPECT_TRUE(hb.success);
  EXPECT_EQ(hb.match_index, 1u);
  EXPECT_EQ(hb.read_seq, 5u);
  EXPECT_EQ(s.node->held_messages(), 1u) << "entry 2's ack still waits for its sync";
}

TEST(RaftNodeTest, FollowerWhoseSyncFailsStopsAcking) {
  Solo s;
  s.env.mem_disk.fail_syncs = true;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});
  EXPECT_TRUE(s.node->Status().failed);
  EXPECT_TRUE(SentOf<RaftAppendReply>(s.env).empty());
  s.Append(2, RaftAppend{.term = 1, .prev_index = 1, .prev_term = 1, .entries = {}});
  EXPECT_TRUE(s.env.sent.empty()) << "a failed node sends nothing";
}

TEST(RaftNodeTest, FollowerAppliesOnlyUpToLeaderCommit) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .commit_index = 1, .entries = {Entry(1, 1, "a", "1"), Entry(1, 2, "b", "2")}});
  EXPECT_EQ(s.node->commit_index(), 1u);
  EXPECT_EQ(s.node->applied_index(), 1u);
  EXPECT_NE(s.node->state().Find("a", 0), nullptr);
  EXPECT_EQ(s.node->state().Find("b", 0), nullptr);
}

TEST(RaftNodeTest, CandidateWithStaleLogIsDeniedVote) {
  Solo s;
  s.Append(2, RaftAppend{.term = 2, .entries = {Entry(1, 1), Entry(2, 2)}});
  s.env.sent.clear();
  // Candidate 3 has a longer log but an older last term (§5.4.1).
  s.Deliver(Msg(3, 1, RaftVoteRequest{3, false, 5, 1}));
  auto votes = SentOf<RaftVoteReply>(s.env);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].granted);
  EXPECT_EQ(votes[0].term, 3u);
  EXPECT_EQ(s.node->voted_for(), kNoNode);
}

TEST(RaftNodeTest, VoterGrantsAtMostOneVotePerTerm) {
  Solo s;
  s.Deliver(Msg(2, 1, RaftVoteRequest{1, false, 0, 0}));
  s.Deliver(Msg(3, 1, RaftVoteRequest{1, false, 0, 0}));
  auto votes = SentOf<RaftVoteReply>(s.env);
  ASSERT_EQ(votes.size(), 2u);
  EXPECT_TRUE(votes[0].granted);
  EXPECT_FALSE(votes[1].granted);
  EXPECT_EQ(s.node->voted_for(), 2u);
}

// §5.2, one leader per term as each node sees it: two senders of one term's appends mean two
// leaders of that term, a safety violation upstream; the follower stops rather than follow both.
TEST(RaftNodeTest, AppendsOfOneTermFromASecondLeaderAreAnAssertion) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});
  ASSERT_EQ(s.node->leader(), 2u);
  EXPECT_DEATH(s.Append(3, RaftAppend{.term = 1, .prev_index = 1, .prev_term = 1, .entries = {}}), "leader_ == from");
}

TEST(RaftNodeTest, AppendsOfAHigherTermFromAnotherLeaderAreFollowed) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});
  s.Append(3, RaftAppend{.term = 2, .prev_index = 1, .prev_term = 1, .entries = {}});
  EXPECT_EQ(s.node->leader(), 3u);
  EXPECT_TRUE(s.LastAppendReply().success);
}

TEST(RaftNodeTest, TermAndVoteAreDurableBeforeVoteReply) {
  Solo s;
  s.node->OnMessage(Msg(2, 1, RaftVoteRequest{5, false, 0, 0}));
  s.node->EndTurn();
  EXPECT_TRUE(s.env.sent.empty()) << "no vote may leave before term and vote are synced";
  s.env.CompleteSyncs(*s.node);
  ASSERT_EQ(SentOf<RaftVoteReply>(s.env).size(), 1u);
  EXPECT_TRUE(SentOf<RaftVoteReply>(s.env)[0].granted);
  s.node.reset();
  s.env.mem_disk.Crash();
  s.Boot();
  EXPECT_EQ(s.node->term(), 5u);
  EXPECT_EQ(s.node->voted_for(), 2u);
  // After the restart it still refuses a second candidate in that term.
  s.env.sent.clear();
  s.Deliver(Msg(3, 1, RaftVoteRequest{5, false, 0, 0}));
  EXPECT_FALSE(SentOf<RaftVoteReply>(s.env).at(0).granted);
}

TEST(RaftNodeTest, ElectionStartsWithPreVoteWithoutRaisingTerm) {
  Solo s;
  s.env.now += kRaftElectionMax + kRaftTick;
  s.node->OnTimer(1);
  s.node->EndTurn();
  EXPECT_EQ(s.node->role(), RaftRole::kPreCandidate);
  EXPECT_EQ(s.node->term(), 0u);
  auto reqs = SentOf<RaftVoteRequest>(s.env);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0].pre_vote);
  EXPECT_EQ(reqs[0].term, 1u);
}

TEST(RaftNodeTest, PreVoteDoesNotDisturbAStableLeader) {
  Solo s;
  s.Append(2, RaftAppend{.term = 4, .entries = {}});  // node 2 leads term 4 and was just heard from.
  s.env.sent.clear();
  s.Deliver(Msg(3, 1, RaftVoteRequest{5, true, 10, 4}));
  auto votes = SentOf<RaftVoteReply>(s.env);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].granted);
  EXPECT_EQ(s.node->term(), 4u);
  EXPECT_EQ(s.node->leader(), 2u);
  // Once the leader has been silent for an election timeout, the same probe is granted.
  s.env.now += kRaftElectionMin;
  s.env.sent.clear();
  s.Deliver(Msg(3, 1, RaftVoteRequest{5, true, 10, 4}));
  EXPECT_TRUE(SentOf<RaftVoteReply>(s.env).at(0).granted);
  EXPECT_EQ(s.node->term(), 4u) << "a pre-vote never changes the voter's term";
}

TEST(RaftNodeTest, NewLeaderAppendsNoOpOfItsTerm) {
  Solo s;
  s.BecomeLeader();
  EXPECT_EQ(s.node->term(), 1u);
  ASSERT_EQ(s.node->log().last_index(), 1u);
  EXPECT_TRUE(s.node->log().At(1).noop);
  EXPECT_EQ(s.node->log().At(1).term, 1u);
}

TEST(RaftNodeTest, LeaderDoesNotCommitEntryFromPreviousTermByCounting) {
  Solo s;
  // Node 1 holds an entry of term 1 that was never committed, then wins term 3.
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1, "x", "1")}});
  s.Deliver(Msg(2, 1, RaftAppend{.term = 2, .entries = {}}));
  s.env.now += kRaftElectionMax * 2;
  s.BecomeLeader();
  ASSERT_EQ(s.node->term(), 3u);
  ASSERT_EQ(s.node->log().last_index(), 2u);  // entry 1 (term 1) + no-op (term 3).
  // Node 2 acknowledges entry 1 only: a majority holds it, but it is from an older term (§5.4.2).
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 3, .success = true, .match_index = 1}));
  EXPECT_EQ(s.node->commit_index(), 0u);
  // Once the no-op of term 3 is on a majority, both commit.
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 3, .success = true, .match_index = 2}));
  EXPECT_EQ(s.node->commit_index(), 2u);
  EXPECT_EQ(s.node->applied_index(), 2u);
}

// Appends sent to node 2 since `env.sent` was last cleared, as their prev_index.
std::vector<uint64_t> PrevIndexesSentTo2(FakeEnv& env) {
  std::vector<uint64_t> out;
  for (const Message& m : env.sent) {
    if (m.to != 2) continue;
    if (std::optional<RaftAppend> a = RaftOf<RaftAppend>(m)) out.push_back(a->prev_index);
  }
  return out;
}

// Found by a sweep (raft:max_append_entries=1, 5 nodes, --faults network): a follower whose log
// ends in an entry of an older term at match+1 answered the pipeline with "my log ends here"
// (conflict_term 0) and the probe just before with "term 1 there", which the leader ignored as
// stale because the follower's first index of term 1 lies below the match. Each "ends here"
// restarted the whole pipeline, and the follower never got the entry it lacked.
TEST(RaftNodeTest, LeaderBacktracksPastAConflictBelowItsPipelineWithoutAStorm) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1, "a", "1"), Entry(1, 2, "b", "2")}});
  s.env.now += kRaftElectionMax * 2;
  s.BecomeLeader();
  const uint64_t term = s.node->term();
  s.node->OnClientRequest(7, Command::Put("c", "3"));
  s.node->EndTurn();
  s.env.CompleteSyncs(*s.node);
  ASSERT_EQ(s.node->log().last_index(), 4u);  // 1, 2 of term 1; no-op 3 and entry 4 of `term`.
  // Follower 2 holds 1 and 2, then an entry 3 of term 1 that the leader does not have.
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = true, .match_index = 2}));
  s.env.sent.clear();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = false, .conflict_index = 4}));
  EXPECT_EQ(PrevIndexesSentTo2(s.env), std::vector<uint64_t>({3}));  // from its log's end.
  s.env.sent.clear();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = false, .conflict_index = 1, .conflict_term = 1}));
  EXPECT_EQ(PrevIndexesSentTo2(s.env), std::vector<uint64_t>({2})) << "resumes after its last entry of term 1";
  s.env.sent.clear();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = false, .conflict_index = 4}));
  EXPECT_TRUE(PrevIndexesSentTo2(s.env).empty()) << "a late rejection of the old pipeline restarts nothing";
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = true, .match_index = 4}));
  EXPECT_EQ(s.node->commit_index(), 4u);
}

TEST(RaftNodeTest, LeaderStepsDownWhenItSeesHigherTerm) {
  Solo s;
  s.BecomeLeader();
  s.node->OnClientRequest(7, Command::Put("a", "1"));
  s.node->EndTurn();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 9}));
  EXPECT_EQ(s.node->role(), RaftRole::kFollower);
  EXPECT_EQ(s.node->term(), 9u);
  // The proposal may still commit under a later leader: its outcome is unknown, never ok/tryagain.
  ASSERT_EQ(s.env.replies.count(7), 1u);
  EXPECT_EQ(s.env.replies[7].status, ReplyStatus::kUnknown);
}

TEST(RaftNodeTest, WriteIsRepliedOnlyAfterMajorityCommit) {
  Solo s;
  s.BecomeLeader();
  s.node->OnClientRequest(7, Command::Put("a", "1"));
  s.node->EndTurn();
  EXPECT_TRUE(s.env.replies.empty());
  s.Deliver(Msg(3, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 2}));
  ASSERT_EQ(s.env.replies.count(7), 1u);
  EXPECT_EQ(s.env.replies[7].status, ReplyStatus::kOk);
  EXPECT_EQ(s.env.replies[7].result.kind, ResultKind::kOk);
}

TEST(RaftNodeTest, LeaderIsReadyOnceItsNoOpCommitsFollowerOnceItKnowsALeader) {
  Solo leader;
  EXPECT_FALSE(leader.node->Ready());
  leader.BecomeLeader();
  EXPECT_FALSE(leader.node->Ready()) << "its no-op is not committed yet";
  leader.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 1}));
  EXPECT_TRUE(leader.node->Ready());

  Solo follower;
  EXPECT_FALSE(follower.node->Ready());
  follower.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1)}});
  EXPECT_TRUE(follower.node->Ready());
}

TEST(RaftNodeTest, LeaderSendsItsAppendsBeforeItsOwnLogWriteIsSynced) {
  Solo s;
  s.BecomeLeader();
  s.env.sent.clear();
  s.node->OnClientRequest(7, Command::Put("a", "1"));
  s.node->EndTurn();
  // The append carrying the write left at the turn's end, while the leader's own sync runs.
  EXPECT_EQ(s.env.mem_disk.pending_syncs(), 1u);
  bool carried = false;
  for (const RaftAppend& append : SentOf<RaftAppend>(s.env)) {
    for (const RaftEntry& e : append.entries) carried |= e.command.keys == std::vector<std::string>{"a"};
  }
  EXPECT_TRUE(carried);
}

TEST(RaftNodeTest, LeaderDoesNotCountItsUnsyncedEntriesTowardCommit) {
  Solo s;
  s.BecomeLeader();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 1}));
  s.hold_syncs = true;
  s.node->OnClientRequest(7, Command::Put("a", "1"));
  s.node->EndTurn();
  // Node 2 holds entry 2; the leader's copy is not synced yet: 1 of 3, not a majority.
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 2}));
  EXPECT_EQ(s.node->commit_index(), 1u);
  EXPECT_EQ(s.env.replies.count(7), 0u);
  EXPECT_EQ(s.node->synced_index(), 1u);
  s.env.CompleteSyncs(*s.node);
  EXPECT_EQ(s.node->synced_index(), 2u);
  EXPECT_EQ(s.node->commit_index(), 2u);
  ASSERT_EQ(s.env.replies.count(7), 1u);
  EXPECT_EQ(s.env.replies[7].status, ReplyStatus::kOk);
}

TEST(RaftNodeTest, WithFsyncOffTheLeaderCountsItsWholeLog) {
  Solo s;
  NodeConfig config = Members(1, 3);
  config.fsync = false;  // --durability none: nothing is ever synced, nothing waits for it.
  s.node = std::make_unique<RaftNode>(config, s.env);
  ASSERT_TRUE(s.node->Start().ok());
  s.BecomeLeader();
  s.node->OnClientRequest(7, Command::Put("a", "1"));
  s.node->EndTurn();
  EXPECT_EQ(s.env.mem_disk.pending_syncs(), 0u);
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 2}));
  EXPECT_EQ(s.node->commit_index(), 2u) << "leader + node 2 are a majority";
  EXPECT_EQ(s.env.replies.count(7), 1u);
}

TEST(RaftNodeTest, LeaderWhoseOwnWriteFailsNeverCountsItselfTowardCommit) {
  Solo s;
  s.BecomeLeader();
  s.env.mem_disk.fail_syncs = true;
  s.node->OnClientRequest(7, Command::Put("a", "1"));
  s.node->EndTurn();  // the append left; the leader's own sync is under way (it will fail).
  // One follower holds the entry: with the leader's unsynced copy that would look like 2 of 3.
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 2}));
  ASSERT_EQ(s.env.replies.count(7), 1u);
  EXPECT_NE(s.env.replies[7].status, ReplyStatus::kOk);
  EXPECT_LT(s.node->commit_index(), 2u);  // the write (index 2, after the no-op) never commits.
}

TEST(RaftNodeTest, ReadWaitsForHeartbeatQuorumThenServes) {
  Solo s;
  s.BecomeLeader();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 1}));
  ASSERT_EQ(s.node->commit_index(), 1u);
  s.env.sent.clear();
  s.node->OnClientRequest(8, Command::Get("a"));
  s.node->OnClientRequest(9, Command::Get("b"));
  s.node->EndTurn();
  EXPECT_TRUE(s.env.replies.empty()) << "reads wait for leadership to be confirmed";
  // Both reads share one round: one heartbeat per follower carries its sequence number.
  auto beats = SentOf<RaftAppend>(s.env);
  ASSERT_EQ(beats.size(), 2u);
  const uint64_t seq = beats[0].read_seq;
  EXPECT_GT(seq, 0u);
  s.Deliver(Msg(3, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 1, .read_seq = seq}));
  ASSERT_EQ(s.env.replies.size(), 2u);
  EXPECT_EQ(s.env.replies[8].result.kind, ResultKind::kNil);
}

TEST(RaftNodeTest, ReadsWaitForTheLeadersNoOpToCommit) {
  Solo s;
  s.BecomeLeader();
  s.env.sent.clear();
  s.node->OnClientRequest(8, Command::Get("a"));
  s.node->EndTurn();
  for (const RaftAppend& a : SentOf<RaftAppend>(s.env)) EXPECT_EQ(a.read_seq, 0u);
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 1}));
  EXPECT_TRUE(s.env.replies.empty());
  auto beats = SentOf<RaftAppend>(s.env);
  ASSERT_FALSE(beats.empty());
  s.Deliver(
      Msg(2, 1, RaftAppendReply{.term = 1, .success = true, .match_index = 1, .read_seq = beats.back().read_seq}));
  EXPECT_EQ(s.env.replies.count(8), 1u);
}

// Issue 10 point 4: a stale leader's delayed AppendEntries (or snapshot chunk) must not have its
// read_seq echoed, or the new leader of that node's next incarnation could count it as a
// confirmation of a ReadIndex round it never started.
TEST(RaftNodeTest, FollowerDoesNotEchoReadSeqOfAppendItRejectsForItsTerm) {
  Solo s;
  s.Append(2, RaftAppend{.term = 3, .entries = {}});
  s.env.sent.clear();
  s.Append(3, RaftAppend{.term = 2, .read_seq = 7, .entries = {}});
  RaftAppendReply r = s.LastAppendReply();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.term, 3u);
  EXPECT_EQ(r.read_seq, 0u) << "a rejected append confirms no read round";
}

TEST(RaftNodeTest, FollowerDoesNotEchoReadSeqOfSnapshotChunkItRejectsForItsTerm) {
  Solo s;
  s.Append(2, RaftAppend{.term = 3, .entries = {}});
  s.env.sent.clear();
  s.Deliver(Msg(3, 1, RaftSnapshotChunk{.term = 2, .last_index = 5, .last_term = 2, .read_seq = 7, .data = {}}));
  auto replies = SentOf<RaftSnapshotReply>(s.env);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].term, 3u);
  EXPECT_EQ(replies[0].read_seq, 0u) << "a rejected chunk confirms no read round";
}

// The leader side of the same hole: read_seq restarts after a crash, so a reply of the current
// term may carry a seq this leadership never issued (echoed from a previous incarnation's
// message). Only seqs issued in this leadership confirm a round.
TEST(RaftNodeTest, LeaderIgnoresReadSeqItDidNotIssueInThisLeadership) {
  Solo s;
  s.BecomeLeader();
  const uint64_t term = s.node->term();
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = true, .match_index = 1}));
  ASSERT_EQ(s.node->commit_index(), 1u);
  s.env.sent.clear();
  s.node->OnClientRequest(8, Command::Get("a"));
  s.node->EndTurn();
  // A delayed reply to the previous incarnation's heartbeat (seq 7), rejected by node 3 for its
  // old term, arrives carrying node 3's term, which is the leader's current term.
  s.Deliver(Msg(3, 1, RaftAppendReply{.term = term, .success = false, .read_seq = 7}));
  s.Deliver(Msg(2, 1, RaftAppendReply{.term = term, .success = true, .match_index = 1, .read_seq = 7}));
  EXPECT_TRUE(s.env.replies.empty()) << "the read was served on confirmations of a round never sent";
  // The round's own seq still confirms it.
  auto beats = SentOf<RaftAppend>(s.env);
  ASSERT_FALSE(beats.empty());
  s.Deliver(
      Msg(3, 1, RaftAppendReply{.term = term, .success = true, .match_index = 1, .read_seq = beats.back().read_seq}));
  EXPECT_EQ(s.env.replies.count(8), 1u);
}

TEST(RaftNodeTest, RequestWithNoLeaderFailsWithTryAgainAfterBoundedWait) {
  Solo s;
  s.node->OnClientRequest(3, Command::Put("a", "1"));
  s.node->EndTurn();
  EXPECT_TRUE(s.env.replies.empty());
  for (Nanos t = 0; t <= RaftOptions{}.no_leader_wait(); t += kRaftTick) {
    s.env.now += kRaftTick;
    s.node->OnTimer(1);
    s.node->EndTurn();
  }
  ASSERT_EQ(s.env.replies.count(3), 1u);
  EXPECT_EQ(s.env.replies[3].status, ReplyStatus::kTryAgain);
  EXPECT_NE(s.env.replies[3].message.find("TRYAGAIN no leader"), std::string::npos);
}

TEST(RaftNodeTest, FollowerForwardsToLeaderAndRelaysReply) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {}});
  s.env.sent.clear();
  s.node->OnClientRequest(4, Command::Put("a", "1"));
  s.node->EndTurn();
  ASSERT_EQ(s.env.sent.size(), 1u);
  EXPECT_EQ(s.env.sent[0].type, MessageType::kForwardRequest);
  EXPECT_EQ(s.env.sent[0].to, 2u);
  ClientReply rep;
  rep.request_id = std::get<ClientRequest>(s.env.sent[0].body).request_id;
  rep.result = Result::Ok();
  s.Deliver(Msg(2, 1, MessageType::kForwardReply, rep));
  ASSERT_EQ(s.env.replies.count(4), 1u);
  EXPECT_EQ(s.env.replies[4].status, ReplyStatus::kOk);
}

TEST(RaftNodeTest, ForwardedRequestsAreSettledWhenANewLeaderAppears) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {}});
  s.node->OnClientRequest(4, Command::Put("a", "1"));
  s.node->OnClientRequest(5, Command::Get("a"));
  s.node->EndTurn();
  // Node 3 wins term 2 before node 2 answered: the write may or may not have been applied by
  // node 2, the read had no effect.
  s.Append(3, RaftAppend{.term = 2, .entries = {}});
  ASSERT_EQ(s.env.replies.count(4), 1u);
  EXPECT_EQ(s.env.replies[4].status, ReplyStatus::kUnknown);
  ASSERT_EQ(s.env.replies.count(5), 1u);
  EXPECT_EQ(s.env.replies[5].status, ReplyStatus::kTryAgain);
}

// Issue 15's slow failovers: a follower whose writes wait at a dead leader, and which then wins
// the election itself, must settle them at once (the client retries on the new leader), not hold
// them until the forward timeout (1 s).
TEST(RaftNodeTest, ForwardedRequestsAreSettledWhenThisNodeBecomesLeader) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {}});
  s.node->OnClientRequest(4, Command::Put("a", "1"));
  s.node->OnClientRequest(5, Command::Get("a"));
  s.node->EndTurn();
  ASSERT_TRUE(s.env.replies.empty());
  s.BecomeLeader();
  ASSERT_EQ(s.env.replies.count(4), 1u) << "the write forwarded to the old leader waits for its timeout";
  EXPECT_EQ(s.env.replies[4].status, ReplyStatus::kUnknown);
  ASSERT_EQ(s.env.replies.count(5), 1u);
  EXPECT_EQ(s.env.replies[5].status, ReplyStatus::kTryAgain);
}

TEST(RaftNodeTest, CorruptRecordInTheMiddleOfTheLogFailsStart) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {Entry(1, 1), Entry(1, 2), Entry(1, 3)}});
  s.node.reset();
  std::string bytes = s.env.mem_disk.Contents(kRaftLogFile);
  bytes[bytes.size() / 2] ^= 0x10;
  s.env.mem_disk.SetContents(kRaftLogFile, bytes);
  RaftNode node(Members(1, 3), s.env);
  absl::Status st = node.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
}

TEST(RaftNodeTest, ThreeNodesElectOneLeaderAndReplicateWrites) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId leader = c.Leader();
  const NodeId follower = leader % 3 + 1;
  c.node(follower)->OnClientRequest(1, Command::Put("k", "v"));  // forwarded to the leader.
  c.node(follower)->EndTurn();
  c.Deliver();
  ASSERT_EQ(c.env(follower).replies.count(1), 1u);
  EXPECT_EQ(c.env(follower).replies[1].status, ReplyStatus::kOk);
  c.Advance(kRaftHeartbeat);  // spreads the commit index.
  for (NodeId id = 1; id <= 3; ++id) {
    ASSERT_NE(c.node(id)->state().Find("k", 0), nullptr) << id;
    EXPECT_EQ(c.node(id)->state().Find("k", 0)->value(), "v");
  }
  int leaders = 0;
  for (NodeId id = 1; id <= 3; ++id) leaders += c.node(id)->role() == RaftRole::kLeader;
  EXPECT_EQ(leaders, 1);
}

TEST(RaftNodeTest, CrashedLeaderIsReplacedAndCatchesUpAfterRestart) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId old = c.Leader();
  c.node(old)->OnClientRequest(1, Command::Put("a", "1"));
  c.node(old)->EndTurn();
  c.Deliver();
  ASSERT_EQ(c.env(old).replies[1].status, ReplyStatus::kOk);
  c.Crash(old);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId now = c.Leader();
  ASSERT_NE(now, old);
  c.node(now)->OnClientRequest(2, Command::Put("b", "2"));
  c.node(now)->EndTurn();
  c.Deliver();
  ASSERT_EQ(c.env(now).replies[2].status, ReplyStatus::kOk);
  c.Boot(old);
  ASSERT_TRUE(c.RunUntil([&] { return c.node(old)->applied_index() == c.node(now)->commit_index(); }));
  ASSERT_NE(c.node(old)->state().Find("a", 0), nullptr);
  ASSERT_NE(c.node(old)->state().Find("b", 0), nullptr);
  EXPECT_EQ(c.node(old)->role(), RaftRole::kFollower);
}

// Issue 15: a follower told that the leader's process is gone (its connections closed) stands for
// election after its stagger, far below the election timeout, and wins.
TEST(RaftNodeTest, LeaderLostHintElectsANewLeaderWithinTheStagger) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  c.Advance(kRaftHeartbeat);  // every follower has just heard from the leader.
  const NodeId old = c.Leader();
  c.Crash(old);
  for (NodeId id = 1; id <= 3; ++id) {
    if (id == old) continue;
    c.node(id)->OnPeerLost(old);
    c.node(id)->EndTurn();
  }
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }, 2 * kRaftLeaderLostStagger + 2 * kRaftTick));
  EXPECT_LT(2 * kRaftLeaderLostStagger + 2 * kRaftTick, kRaftElectionMin);
}

// A hint about a leader that is in fact alive (a spurious close) disturbs nothing: PreVote is
// refused by the follower that still hears from it, and its next append restores the follower.
TEST(RaftNodeTest, SpuriousLeaderLostHintDoesNotDisturbALiveLeader) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId leader = c.Leader();
  const uint64_t term = c.node(leader)->term();
  const NodeId hinted = leader % 3 + 1;
  c.node(hinted)->OnPeerLost(leader);
  c.node(hinted)->EndTurn();
  c.RunUntil([] { return false; }, kRaftElectionMin);
  EXPECT_EQ(c.Leader(), leader);
  EXPECT_EQ(c.node(leader)->term(), term);
  EXPECT_EQ(c.node(hinted)->leader(), leader);
}

// A hint about a node that is not the leader changes nothing.
TEST(RaftNodeTest, PeerLostHintAboutAFollowerIsIgnored) {
  Solo s;
  s.Append(2, RaftAppend{.term = 1, .entries = {}});
  s.node->OnClientRequest(4, Command::Put("a", "1"));
  s.node->EndTurn();
  s.node->OnPeerLost(3);
  s.node->EndTurn();
  EXPECT_TRUE(s.env.replies.empty());
  EXPECT_EQ(s.node->leader(), 2u);
  s.node->OnPeerLost(2);
  s.node->EndTurn();
  ASSERT_EQ(s.env.replies.count(4), 1u) << "the write forwarded to the lost leader is settled at once";
  EXPECT_EQ(s.env.replies[4].status, ReplyStatus::kUnknown);
  EXPECT_EQ(s.node->leader(), kNoNode);
}

TEST(RaftNodeTest, LaggingFollowerCatchesUpThroughChunkedSnapshot) {
  RaftOptions opts;
  opts.snapshot_every_entries = 20;
  opts.snapshot_catch_up_entries = 0;  // the leader keeps no entries for a follower behind.
  Cluster c(3, opts);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId leader = c.Leader();
  const NodeId lagging = leader % 3 + 1;
  c.Cut(lagging);
  const std::string big(30'000, 'x');  // several snapshot chunks in all.
  for (int i = 0; i < 60; ++i) {
    c.node(leader)->OnClientRequest(100 + i, Command::Put("key" + std::to_string(i), big));
    c.node(leader)->EndTurn();
    c.Deliver();
  }
  ASSERT_GT(c.node(leader)->snapshot_index(), 0u);
  ASSERT_GT(c.node(leader)->log().base_index(), c.node(lagging)->log().last_index());
  c.Heal();
  ASSERT_TRUE(c.RunUntil([&] { return c.node(lagging)->applied_index() == c.node(leader)->commit_index(); }));
  EXPECT_EQ(c.node(lagging)->KeyCount(), 60u);
  EXPECT_GT(c.node(lagging)->snapshot_index(), 0u);
  // The installed snapshot is durable: a restart recovers it.
  c.Crash(lagging);
  c.Boot(lagging);
  EXPECT_GT(c.node(lagging)->snapshot_index(), 0u);
  ASSERT_TRUE(c.RunUntil([&] { return c.node(lagging)->applied_index() == c.node(leader)->commit_index(); }));
  EXPECT_EQ(c.node(lagging)->KeyCount(), 60u);
}

// A follower a little behind when the leader snapshots gets the entries it lacks, not the
// snapshot: the leader's log keeps them (kRaftSnapshotCatchUpEntries); a restart of the leader
// compacts its log to the snapshot again.
TEST(RaftNodeTest, LeaderSnapshotKeepsEntriesForAFollowerCloseBehind) {
  RaftOptions opts;
  opts.snapshot_every_entries = 100;  // keeps up to 50 entries for a follower behind.
  Cluster c(3, opts);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId leader = c.Leader();
  const NodeId lagging = leader % 3 + 1;
  for (int i = 0; i < 80; ++i) {
    c.node(leader)->OnClientRequest(100 + i, Command::Put("key" + std::to_string(i % 60), "v"));
    c.node(leader)->EndTurn();
    c.Deliver();
    if (i == 59) c.Cut(lagging);  // 20 entries behind when the leader snapshots.
  }
  const uint64_t behind = c.node(lagging)->log().last_index();
  for (int i = 80; i < 120; ++i) {
    c.node(leader)->OnClientRequest(100 + i, Command::Put("key" + std::to_string(i), "v"));
    c.node(leader)->EndTurn();
    c.Deliver();
  }
  ASSERT_GT(c.node(leader)->snapshot_index(), behind);
  EXPECT_LE(c.node(leader)->log().base_index(), behind) << "the entries the follower lacks are kept";
  c.Heal();
  ASSERT_TRUE(c.RunUntil([&] { return c.node(lagging)->applied_index() == c.node(leader)->commit_index(); }));
  EXPECT_EQ(c.node(lagging)->KeyCount(), 100u);
  for (const auto& [key, value] : c.node(lagging)->Info()) {
    if (key == "snapshots_installed") {
      EXPECT_EQ(value, "0") << "no snapshot was installed";
    }
  }
  c.Crash(leader);
  c.Boot(leader);
  EXPECT_EQ(c.node(leader)->log().base_index(), c.node(leader)->snapshot_index());
}

TEST(RaftNodeTest, RestartRecoversSnapshotAndLogSuffix) {
  RaftOptions opts;
  opts.snapshot_every_entries = 5;
  Cluster c(3, opts);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() != kNoNode; }));
  const NodeId leader = c.Leader();
  for (int i = 0; i < 12; ++i) {
    c.node(leader)->OnClientRequest(100 + i, Command::Put("k" + std::to_string(i), "v"));
    c.node(leader)->EndTurn();
    c.Deliver();
  }
  const uint64_t commit = c.node(leader)->commit_index();
  c.Crash(leader);
  c.Boot(leader);
  EXPECT_GT(c.node(leader)->snapshot_index(), 0u);
  EXPECT_EQ(c.node(leader)->log().last_index(), commit);
  ASSERT_TRUE(c.RunUntil([&] { return c.node(leader)->applied_index() >= commit; }));
  EXPECT_EQ(c.node(leader)->KeyCount(), 12u);
}

}  // namespace
}  // namespace kvlab::core

namespace kvlab::core {
namespace {

// Regression (found by the first sim run): the deadline sweep moved each kept request onto
// itself, which emptied its command; the request later reached the log as a Put with no key.
TEST(RaftNodeTest, WaitingRequestSurvivesDeadlineSweepIntact) {
  FakeEnv env(1);
  RaftNode node(Members(1, 3), env);
  ASSERT_TRUE(node.Start().ok());
  node.OnClientRequest(5, Command::Put("a", "1"));
  node.EndTurn();
  env.now += kRaftTick;
  node.OnTimer(1);  // sweeps deadlines; the request is still in time.
  node.EndTurn();
  env.sent.clear();
  node.OnMessage(Msg(2, 1, RaftAppend{.term = 1, .entries = {}}));
  node.EndTurn();
  bool forwarded = false;
  for (const Message& m : env.sent) {
    if (m.type != MessageType::kForwardRequest) continue;
    forwarded = true;
    EXPECT_EQ(std::get<ClientRequest>(m.body).command, Command::Put("a", "1"));
  }
  EXPECT_TRUE(forwarded);
}

}  // namespace
}  // namespace kvlab::core
