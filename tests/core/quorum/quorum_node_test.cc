#include "core/quorum/quorum_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/policy/registry.h"
#include "tests/support/policy_cluster.h"

namespace kvlab::core {
namespace {

// Quorum nodes (tests/support/policy_cluster.h); with three and N=3 every node replicates every key.
class QuorumCluster : public PolicyCluster {
 public:
  explicit QuorumCluster(const std::string& policy = "quorum", NodeId size = 3) : PolicyCluster(policy, size) {}
  const VersionedEntry* held(NodeId id, const std::string& key) { return as<QuorumNode>(id).store()->Find(key); }
};

TEST(QuorumNodeTest, WriteIsAnsweredWithExactlyWAcks) {
  QuorumCluster c;  // W = 2: node 1's own ack and one more.
  c.node(1).OnClientRequest(1, Command::Put("k", "v"));
  // Node 3 is cut off, and node 2's ack of the store is lost: one durable ack (node 1's) only.
  c.Pump([](const Message& m) { return !Touches(m, 3) && !(PeerKind(m) == kRegStoreAckKind && m.from == 2); });
  EXPECT_EQ(c.env(1).replies.count(1), 0u) << "W-1 acks must not answer the write";
  ASSERT_NE(c.held(2, "k"), nullptr);
  c.node(1).OnTimer(1);  // the retry resends the store to nodes 2 and 3; node 2's ack now arrives.
  c.Pump([](const Message& m) { return !Touches(m, 3); });
  ASSERT_EQ(c.env(1).replies.count(1), 1u) << "W acks answer it";
  EXPECT_EQ(c.env(1).replies[1].result, Result::Ok());
}

TEST(QuorumNodeTest, ReadRepairFixesAStaleReplica) {
  QuorumCluster c;
  c.node(1).OnClientRequest(1, Command::Put("k", "old"));
  c.Pump();
  // A newer write reaches nodes 1 and 2 only.
  c.node(1).OnClientRequest(2, Command::Put("k", "new"));
  c.Pump([](const Message& m) { return !Touches(m, 3); });
  ASSERT_EQ(c.held(3, "k")->value, "old");
  // A read through node 3 answers the newest version and repairs node 3.
  c.node(3).OnClientRequest(3, Command::Get("k"));
  c.Pump();
  EXPECT_EQ(c.env(3).replies[3].result, Result::Value("new"));
  EXPECT_EQ(c.held(3, "k")->value, "new") << "read repair pushed the newer version";
}

TEST(QuorumNodeTest, AntiEntropyRepairsAReplicaThatMissedWritesWhilePartitioned) {
  QuorumCluster c;
  for (int i = 0; i < 5; ++i) {
    c.node(1).OnClientRequest(i + 1, Command::Put("k" + std::to_string(i), "v"));
  }
  c.Pump([](const Message& m) { return !Touches(m, 3); });  // node 3 partitioned away.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.held(3, "k" + std::to_string(i)), nullptr);
  // Healed: anti-entropy rounds (timer 2) exchange digests; no client reads the keys.
  for (int round = 0; round < 2; ++round) {
    c.node(3).OnTimer(2);
    c.Pump();
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_NE(c.held(3, "k" + std::to_string(i)), nullptr) << i;
    EXPECT_EQ(c.held(3, "k" + std::to_string(i))->value, "v");
  }
}

TEST(QuorumNodeTest, DeleteWritesATombstoneThatWinsOverTheValue) {
  QuorumCluster c;
  c.node(1).OnClientRequest(1, Command::Put("k", "v"));
  c.Pump();
  c.node(2).OnClientRequest(2, Command::Del("k"));
  c.Pump();
  EXPECT_EQ(c.env(2).replies[2].result, Result::Integer(1));
  EXPECT_TRUE(c.held(3, "k")->tombstone);
  c.node(3).OnClientRequest(3, Command::Get("k"));
  c.Pump();
  EXPECT_EQ(c.env(3).replies[3].result, Result::Nil());
}

TEST(QuorumNodeTest, ParametersAreValidated) {
  EXPECT_FALSE(ParsePolicyChoice("quorum:r=4").ok()) << "R above N";
  EXPECT_FALSE(ParsePolicyChoice("quorum:w=0").ok());
  absl::StatusOr<PolicyChoice> n5 = ParsePolicyChoice("quorum:n=5");
  ASSERT_TRUE(n5.ok());
  FakeEnv env;
  NodeConfig three{.self = 1, .members = {1, 2, 3}, .fsync = true};
  absl::StatusOr<std::unique_ptr<Node>> node = MakeNode(*n5, three, env);
  EXPECT_FALSE(node.ok()) << "N above the cluster's size";
}

TEST(QuorumNodeTest, LargerClusterSpreadsKeys) {
  FakeEnv env;
  QuorumNode node(NodeConfig{.self = 1, .members = {1, 2, 3, 4, 5, 6}, .fsync = true}, env, {});
  std::vector<int> load(7, 0);
  for (int i = 0; i < 600; ++i) {
    const std::vector<NodeId> replicas = node.ReplicasOf("key" + std::to_string(i));
    ASSERT_EQ(replicas.size(), 3u);
    for (NodeId r : replicas) ++load[r];
  }
  for (NodeId id = 1; id <= 6; ++id) EXPECT_GT(load[id], 150) << "node " << id << " holds its share";
}

// Sloppy quorum (quorum.sloppy=true) on five nodes: key "k" has three replicas and two stand-ins.
class SloppyTest : public ::testing::Test {
 protected:
  explicit SloppyTest(const std::string& policy = "quorum:sloppy=true:w=3") : c_(policy, 5) {
    replicas_ = c_.node(1).ReplicasOf("k");
    for (NodeId id = 1; id <= 5; ++id) {
      if (std::find(replicas_.begin(), replicas_.end(), id) == replicas_.end()) others_.push_back(id);
    }
  }
  std::string InfoOf(NodeId id, const std::string& name) {
    for (const auto& [k, v] : c_.node(id).Info()) {
      if (k == name) return v;
    }
    return "?";
  }
  // A write of "k" through the first replica while the last one is cut off; the retry tick after
  // retry_ms replaces it by a stand-in.
  void WriteWhileLastReplicaIsDown() {
    c_.node(coordinator()).OnClientRequest(1, Command::Put("k", "v"));
    c_.Pump([this](const Message& m) { return !Touches(m, down()); });
    c_.SetNow(Millis(60));
    c_.node(coordinator()).OnTimer(1);
    c_.Pump([this](const Message& m) { return !Touches(m, down()); });
  }
  NodeId coordinator() const { return replicas_[0]; }
  NodeId down() const { return replicas_[2]; }
  const VersionedEntry* held(NodeId id) { return c_.as<QuorumNode>(id).store()->Find("k"); }

  QuorumCluster c_;
  std::vector<NodeId> replicas_, others_;
};

TEST_F(SloppyTest, AWriteWithAnUnreachableReplicaIsAcceptedThroughAStandInAndHandedOff) {
  WriteWhileLastReplicaIsDown();
  ASSERT_EQ(c_.env(coordinator()).replies.count(1), 1u) << "W = 3 with a stand-in's durable hint";
  EXPECT_EQ(c_.env(coordinator()).replies[1].result, Result::Ok());
  EXPECT_EQ(held(down()), nullptr);
  size_t hints = 0;
  NodeId holder = 0;
  for (NodeId id : others_) {
    EXPECT_EQ(held(id), nullptr) << "a hint is not the stand-in's own data";
    if (InfoOf(id, "hints") == "1") ++hints, holder = id;
  }
  ASSERT_EQ(hints, 1u);
  // The replica is back: the holder's handoff round (the anti-entropy timer) delivers the hint and
  // drops it once every replica durably acked it.
  c_.node(holder).OnTimer(2);
  c_.Pump([&](const Message& m) { return Touches(m, holder); });
  ASSERT_NE(held(down()), nullptr);
  EXPECT_EQ(held(down())->value, "v");
  EXPECT_EQ(InfoOf(holder, "hints"), "0");
  EXPECT_EQ(InfoOf(holder, "hints_handed_off"), "1");
}

TEST_F(SloppyTest, AHintIsKeptWhileAReplicaHasNotAckedIt) {
  WriteWhileLastReplicaIsDown();
  NodeId holder = 0;
  for (NodeId id : others_) {
    if (InfoOf(id, "hints") == "1") holder = id;
  }
  ASSERT_NE(holder, 0u);
  c_.node(holder).OnTimer(2);  // the replica is still down: the handoff reaches the other two only.
  c_.Pump([this](const Message& m) { return !Touches(m, down()); });
  EXPECT_EQ(InfoOf(holder, "hints"), "1");
  c_.node(holder).OnTimer(2);  // the next round, with the replica back.
  c_.Pump();
  EXPECT_EQ(InfoOf(holder, "hints"), "0");
  ASSERT_NE(held(down()), nullptr);
}

class StrictTest : public SloppyTest {
 protected:
  StrictTest() : SloppyTest("quorum:w=3") {}
};

TEST_F(StrictTest, TheSameWriteFailsWithoutStandIns) {
  WriteWhileLastReplicaIsDown();
  EXPECT_EQ(c_.env(coordinator()).replies.count(1), 0u) << "two of three durable acks";
  c_.SetNow(Millis(1000));
  c_.node(coordinator()).OnTimer(1);
  ASSERT_EQ(c_.env(coordinator()).replies.count(1), 1u);
  EXPECT_EQ(c_.env(coordinator()).replies[1].status, ReplyStatus::kUnknown);
}

TEST(QuorumPromiseTest, StrictOverlappingQuorumsPromiseReadLatestSloppyOnlyEventual) {
  EXPECT_EQ(PromiseOf(*ParsePolicyChoice("quorum")), Consistency::kEventualReadLatest);
  EXPECT_EQ(PromiseOf(*ParsePolicyChoice("quorum:r=1:w=1")), Consistency::kEventual);
  EXPECT_EQ(PromiseOf(*ParsePolicyChoice("quorum:sloppy=true")), Consistency::kEventual);
}

}  // namespace
}  // namespace kvlab::core
