// Membership changes of the raft policy, one server at a time (thesis §4.1), on the hand-wired
// cluster of tests/core/raft/raft_test_env.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/raft/raft_node.h"
#include "tests/core/raft/raft_test_env.h"

namespace kvlab::core {
namespace {

using raft_test::Cluster;

Command Change(const char* what, NodeId id) {
  Command c;
  c.op = Op::kChangeMembers;
  c.keys = {what};
  c.delta = id;
  if (std::string(what) == "add") c.values = {absl::StrCat("127.0.0.", id, ":7000")};
  return c;
}

bool Holds(const RaftNode& n, const std::string& key) { return n.state().Find(key, 0) != nullptr; }

std::vector<NodeId> Ids(const RaftNode& n) {
  std::vector<NodeId> out;
  for (const RaftMember& m : n.members()) out.push_back(m.id);
  return out;
}

class MembershipTest : public ::testing::Test {
 protected:
  // `n` nodes of which 1..initial form the cluster, a leader elected.
  void Start(int n, int initial, RaftOptions options = {}) {
    c_ = std::make_unique<Cluster>(n, initial, options);
    ASSERT_TRUE(c_->RunUntil([&] { return c_->Leader() != kNoNode && c_->node(c_->Leader())->Ready(); }));
  }
  // Sends `cmd` to `via` as client request `handle` and runs the cluster until it is answered.
  ClientReply Request(NodeId via, ReplyHandle handle, Command cmd) {
    c_->node(via)->OnClientRequest(handle, std::move(cmd));
    c_->node(via)->EndTurn();
    c_->RunUntil([&] { return c_->env(via).replies.count(handle) > 0; }, Seconds(3));
    EXPECT_EQ(c_->env(via).replies.count(handle), 1u) << "no reply to request " << handle;
    return c_->env(via).replies[handle];
  }
  bool Committed(NodeId via, ReplyHandle handle, std::string key) {
    const ClientReply r = Request(via, handle, Command::Put(std::move(key), "v"));
    return r.status == ReplyStatus::kOk && r.result.kind == ResultKind::kOk;
  }
  std::unique_ptr<Cluster> c_;
};

TEST_F(MembershipTest, AddedServerCatchesUpAndCountsTowardTheMajority) {
  Start(4, 3);
  const NodeId leader = c_->Leader();
  EXPECT_EQ(Ids(*c_->node(4)), std::vector<NodeId>{});  // a joiner holds no configuration.
  ASSERT_TRUE(Committed(leader, 1, "before"));
  const ClientReply added = Request(leader, 2, Change("add", 4));
  ASSERT_EQ(added.status, ReplyStatus::kOk) << added.message;
  EXPECT_EQ(added.result.kind, ResultKind::kOk);
  // Node 4 learns the configuration as the leader backs its pipeline up to it (it starts empty).
  ASSERT_TRUE(c_->RunUntil([&] { return c_->node(4)->members().size() == 4; }));
  for (NodeId id = 1; id <= 4; ++id) EXPECT_EQ(Ids(*c_->node(id)), (std::vector<NodeId>{1, 2, 3, 4})) << id;
  EXPECT_EQ(c_->node(4)->members()[3].address, "127.0.0.4:7000");
  EXPECT_TRUE(Holds(*c_->node(4), "before"));
  // Four members: a majority is three. One old follower cut, the leader, the other and node 4
  // still commit; a second cut leaves two of four, which must not commit.
  std::vector<NodeId> followers;
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != leader) followers.push_back(id);
  }
  c_->Cut(followers[0]);
  EXPECT_TRUE(Committed(leader, 3, "three of four"));
  c_->Cut(followers[1]);
  c_->node(leader)->OnClientRequest(4, Command::Put("two of four", "v"));
  c_->node(leader)->EndTurn();
  c_->Advance(Millis(100));
  EXPECT_EQ(c_->env(leader).replies.count(4), 0u) << "committed with two of four members";
}

TEST_F(MembershipTest, RemovedServerNoLongerCountsAndCannotDisturbTheCluster) {
  Start(3, 3);
  const NodeId leader = c_->Leader();
  const NodeId removed = leader == 3 ? 2 : 3;
  ASSERT_EQ(Request(leader, 1, Change("remove", removed)).status, ReplyStatus::kOk);
  EXPECT_EQ(c_->node(leader)->members().size(), 2u);
  // Two members now: with the removed server gone the other two still commit...
  c_->Cut(removed);
  EXPECT_TRUE(Committed(leader, 2, "k"));
  // ...and the removed server, left running and reachable, never disturbs the leader: the leader
  // no longer sends to it, so it times out again and again, but its PreVotes find members that
  // hear from a live leader (thesis §4.2.3).
  c_->Heal();
  const uint64_t term = c_->node(leader)->term();
  for (Nanos t = 0; t < Seconds(3); t += kRaftTick) c_->Advance(kRaftTick);
  EXPECT_EQ(c_->Leader(), leader);
  EXPECT_EQ(c_->node(leader)->term(), term);
  EXPECT_NE(c_->node(removed)->role(), RaftRole::kLeader);
}

TEST_F(MembershipTest, LeaderThatRemovesItselfStepsDownOnceTheChangeCommits) {
  Start(3, 3);
  const NodeId old_leader = c_->Leader();
  const ClientReply r = Request(old_leader, 1, Change("remove", old_leader));
  ASSERT_EQ(r.status, ReplyStatus::kOk) << r.message;
  ASSERT_TRUE(c_->RunUntil([&] { return c_->Leader() != kNoNode && c_->Leader() != old_leader; }));
  const NodeId leader = c_->Leader();
  EXPECT_EQ(Ids(*c_->node(leader)).size(), 2u);
  EXPECT_TRUE(Committed(leader, 2, "after"));
  c_->Advance(Seconds(2));
  EXPECT_NE(c_->node(old_leader)->role(), RaftRole::kLeader);
  EXPECT_NE(c_->node(old_leader)->role(), RaftRole::kCandidate);
}

TEST_F(MembershipTest, OneChangeAtATimeAndBadChangesAreRefused) {
  Start(5, 3);
  const NodeId leader = c_->Leader();
  c_->node(leader)->OnClientRequest(1, Change("add", 4));
  c_->node(leader)->OnClientRequest(2, Change("add", 5));  // the first is not committed yet.
  c_->node(leader)->EndTurn();
  c_->Deliver();
  ASSERT_EQ(c_->env(leader).replies.count(2), 1u);
  EXPECT_EQ(c_->env(leader).replies[2].status, ReplyStatus::kTryAgain);
  ASSERT_EQ(c_->env(leader).replies.count(1), 1u);
  EXPECT_EQ(c_->env(leader).replies[1].status, ReplyStatus::kOk);
  const ClientReply again = Request(leader, 3, Change("add", 4));
  EXPECT_EQ(again.result.kind, ResultKind::kError);
  EXPECT_EQ(again.result.error, "ERR node 4 is already a member");
  EXPECT_EQ(Request(leader, 4, Change("remove", 9)).result.error, "ERR node 9 is not a member");
  // Through a follower: forwarded to the leader like a write.
  const NodeId follower = leader == 1 ? 2 : 1;
  EXPECT_EQ(Request(follower, 5, Change("add", 5)).status, ReplyStatus::kOk);
  EXPECT_EQ(c_->node(leader)->members().size(), 5u);
}

TEST_F(MembershipTest, ConfigurationSurvivesRestartAndTravelsInSnapshots) {
  RaftOptions options;
  options.snapshot_every_entries = 5;
  Start(4, 3, options);
  NodeId leader = c_->Leader();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Committed(leader, 10 + i, absl::StrCat("k", i)));
  ASSERT_GT(c_->node(leader)->snapshot_index(), 0u);
  // Node 4 joins after the log was compacted: it gets the snapshot (configuration {1,2,3}), then
  // the entry that adds it.
  ASSERT_EQ(Request(leader, 1, Change("add", 4)).status, ReplyStatus::kOk);
  ASSERT_TRUE(c_->RunUntil([&] { return c_->node(4)->members().size() == 4; }));
  EXPECT_TRUE(Holds(*c_->node(4), "k11"));
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Committed(leader, 30 + i, absl::StrCat("m", i)));
  // Every node restarted (power loss; the disks keep what was synced) knows the four members,
  // from its snapshot or its log, and the cluster serves again.
  for (NodeId id = 1; id <= 4; ++id) {
    c_->Crash(id);
    c_->Boot(id);
    EXPECT_EQ(Ids(*c_->node(id)), (std::vector<NodeId>{1, 2, 3, 4})) << id;
  }
  ASSERT_TRUE(c_->RunUntil([&] { return c_->Leader() != kNoNode && c_->node(c_->Leader())->Ready(); }));
  EXPECT_TRUE(Committed(c_->Leader(), 50, "after restart"));
}

// A configuration entry a follower took up but that a new leader overwrote is undone: the
// follower falls back to the configuration before it.
TEST_F(MembershipTest, TruncatedConfigurationIsUndone) {
  Start(3, 3);
  const NodeId leader = c_->Leader();
  const NodeId follower = leader == 1 ? 2 : 1;
  RaftNode& f = *c_->node(follower);
  const uint64_t term = c_->node(leader)->term();
  const uint64_t last = f.log().last_index();
  RaftEntry config;
  config.term = term;
  config.index = last + 1;
  config.config = {RaftMember{1, ""}, RaftMember{2, ""}, RaftMember{3, ""}, RaftMember{7, "x:1"}};
  RaftAppend a;
  a.term = term;
  a.prev_index = last;
  a.prev_term = *f.log().TermAt(last);
  a.entries = {config};
  Message m;
  m.type = MessageType::kPeer;
  m.from = leader;
  m.to = follower;
  m.body = EncodeRaftMessage(a);
  f.OnMessage(m);
  f.EndTurn();
  EXPECT_EQ(Ids(f), (std::vector<NodeId>{1, 2, 3, 7}));  // in use once appended, not committed.
  // A leader of a later term replaces that entry with a command.
  RaftEntry put;
  put.term = term + 1;
  put.index = last + 1;
  put.command = Command::Put("k", "v");
  a.term = term + 1;
  a.entries = {put};
  m.from = leader == 3 ? 2 : 3;
  if (m.from == follower) m.from = 3;
  m.body = EncodeRaftMessage(a);
  f.OnMessage(m);
  f.EndTurn();
  EXPECT_EQ(f.log().last_index(), last + 1);
  EXPECT_EQ(Ids(f), (std::vector<NodeId>{1, 2, 3}));
}

}  // namespace
}  // namespace kvlab::core
