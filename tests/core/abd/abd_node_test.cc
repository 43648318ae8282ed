#include "core/abd/abd_node.h"

#include <gtest/gtest.h>

#include "tests/support/policy_cluster.h"

namespace kvlab::core {
namespace {

// Three abd nodes (tests/support/policy_cluster.h).
class AbdCluster : public PolicyCluster {
 public:
  AbdCluster() : PolicyCluster("abd") {}
  const VersionedStore& store(NodeId id) { return *as<AbdNode>(id).store(); }
};

bool IsStore(const Message& m) { return PeerKind(m) == kRegStoreKind; }

TEST(AbdNodeTest, WriteThenReadAtAnotherNode) {
  AbdCluster c;
  c.node(1).OnClientRequest(1, Command::Put("k", "v1"));
  c.Pump();
  ASSERT_EQ(c.env(1).replies.count(1), 1u);
  EXPECT_EQ(c.env(1).replies[1].result, Result::Ok());
  c.node(3).OnClientRequest(2, Command::Get("k"));
  c.Pump();
  EXPECT_EQ(c.env(3).replies[2].result, Result::Value("v1"));
}

TEST(AbdNodeTest, WriteIsAnsweredOnlyAfterAMajorityOfDurableAcks) {
  AbdCluster c;
  c.node(1).OnClientRequest(1, Command::Put("k", "v1"));
  c.Pump([](const Message& m) { return false; });  // node 1 alone: its own ack is not a majority.
  EXPECT_EQ(c.env(1).replies.count(1), 0u);
  EXPECT_EQ(c.store(1).Find("k"), nullptr) << "the query phase needs a majority too";
  c.node(1).OnTimer(1);  // the retry resends to the silent replicas.
  c.Pump();
  EXPECT_EQ(c.env(1).replies[1].result, Result::Ok());
}

TEST(AbdNodeTest, ReadWriteBackMakesALaterReadSeeTheValueAnEarlierReadReturned) {
  AbdCluster c;
  // A write that reaches node 1 only: its query is answered by node 2, its stores to 2 and 3 are lost.
  c.node(1).OnClientRequest(1, Command::Put("k", "v1"));
  c.Pump([](const Message& m) { return Between(m, 1, 2) && !IsStore(m); });
  ASSERT_NE(c.store(1).Find("k"), nullptr);
  EXPECT_EQ(c.store(2).Find("k"), nullptr);
  EXPECT_EQ(c.store(3).Find("k"), nullptr);
  // A read at node 1 with node 3 (not node 2) returns v1 and writes it back to node 3.
  c.node(1).OnClientRequest(2, Command::Get("k"));
  c.Pump([](const Message& m) { return Between(m, 1, 3); });
  EXPECT_EQ(c.env(1).replies[2].result, Result::Value("v1"));
  ASSERT_NE(c.store(3).Find("k"), nullptr);
  // A later read by nodes 2 and 3 only (node 1 cut off) still sees v1: the write-back put it on node 3.
  c.node(2).OnClientRequest(3, Command::Get("k"));
  c.Pump([](const Message& m) { return Between(m, 2, 3); });
  EXPECT_EQ(c.env(2).replies[3].result, Result::Value("v1"));
}

TEST(AbdNodeTest, UnsupportedCommandsAnswerAnError) {
  AbdCluster c;
  Command incr;
  incr.op = Op::kIncr;
  incr.keys = {"k"};
  incr.delta = 1;
  c.node(1).OnClientRequest(1, incr);
  EXPECT_EQ(c.env(1).replies[1].result.kind, ResultKind::kError);
  Command del2;
  del2.op = Op::kDel;
  del2.keys = {"a", "b"};
  c.node(1).OnClientRequest(2, del2);
  EXPECT_EQ(c.env(1).replies[2].result.kind, ResultKind::kError);
}

TEST(AbdNodeTest, DeleteCountsThePresentValue) {
  AbdCluster c;
  c.node(1).OnClientRequest(1, Command::Put("k", "v"));
  c.Pump();
  c.node(2).OnClientRequest(2, Command::Del("k"));
  c.Pump();
  EXPECT_EQ(c.env(2).replies[2].result, Result::Integer(1));
  c.node(3).OnClientRequest(3, Command::Get("k"));
  c.Pump();
  EXPECT_EQ(c.env(3).replies[3].result, Result::Nil());
}

}  // namespace
}  // namespace kvlab::core
