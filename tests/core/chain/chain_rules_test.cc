// Rules of the `chain` policy (the pb node in chain topology, core/pb/pb_node.h) on a
// hand-stepped cluster (tests/core/pb/pb_cluster.h): writes pass down only after each member's
// sync, the head answers once the tail's ack came back up, CRAQ answers clean keys locally and
// sends dirty ones to the tail, and head, middle and tail failures keep every acknowledged write.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/chain/chain_policy.h"
#include "core/pb/pb_messages.h"
#include "core/pb/pb_node.h"
#include "tests/core/pb/pb_cluster.h"

namespace kvlab::core {
namespace {

using pbtest::Cluster;
using pbtest::InfoOf;

PbOptions ChainOptions(PbReads reads = PbReads::kTail) {
  PbOptions o;
  o.topology = PbTopology::kChain;
  o.reads = reads;
  o.tag = kChainPolicyTag;
  o.name = "chain";
  o.file_prefix = kChainFilePrefix;
  return o;
}

// The chain's order in the current view as node `at` knows it (head first).
std::vector<NodeId> Order(Cluster& c, NodeId at = 1) {
  std::vector<NodeId> order;
  for (const ViewMember& m : c.node(at).view_service().view().members) order.push_back(m.id);
  return order;
}

bool IsReplicateTo(const Message& m, NodeId to) {
  if (m.to != to || m.type != MessageType::kPeer) return false;
  absl::StatusOr<PbMessage> d = DecodePbMessage(std::get<PeerMessage>(m.body), kChainPolicyTag);
  return d.ok() && std::holds_alternative<PbReplicate>(*d);
}

TEST(ChainView, WritesGoDownTheChainAndTheTailAnswersReads) {
  Cluster c(3, ChainOptions());
  c.Run(Seconds(2));
  const std::vector<NodeId> order = Order(c);
  ASSERT_EQ(order.size(), 3u);
  ASSERT_EQ(c.Primary(), order[0]);
  EXPECT_EQ(std::string(c.node(order[1]).Status().role), "middle");
  EXPECT_EQ(std::string(c.node(order[2]).Status().role), "tail");
  // Sent at the tail (forwarded to the head), read at the head (forwarded to the tail).
  EXPECT_EQ(c.Request(order[2], Command::Put("k", "v")).status, ReplyStatus::kOk);
  for (NodeId id : order) EXPECT_EQ(c.node(id).Status().applied_index, c.node(order[0]).Status().applied_index);
  const ClientReply r = c.Request(order[0], Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v");
}

// A member passes a write on only after its own sync; the head answers only once the tail has it.
TEST(ChainRules, MemberPassesOnOnlyAfterItsSync) {
  Cluster c(3, ChainOptions());
  c.Run(Seconds(2));
  const std::vector<NodeId> order = Order(c);
  ASSERT_EQ(order.size(), 3u);
  c.hold_syncs.insert(order[1]);
  int to_tail = 0;
  c.intercept = [&](const Message& m) {
    to_tail += IsReplicateTo(m, order[2]);
    return false;
  };
  const uint64_t before = c.node(order[1]).Status().applied_index;
  const ReplyHandle h = 4242;
  c.node(order[0]).OnClientRequest(h, Command::Put("k", "v"));
  c.node(order[0]).EndTurn();
  c.Run(Millis(200));
  EXPECT_GT(c.node(order[1]).Status().applied_index, before);  // the middle has it, not durably.
  EXPECT_EQ(to_tail, 0) << "passed on before its sync";
  EXPECT_FALSE(c.env(order[0]).replies.contains(h)) << "acknowledged before the tail had it";
  c.hold_syncs.clear();
  c.Run(Millis(200));
  EXPECT_GT(to_tail, 0);
  ASSERT_TRUE(c.env(order[0]).replies.contains(h));
  EXPECT_EQ(c.env(order[0]).replies[h].status, ReplyStatus::kOk);
}

// CRAQ: a clean key is answered where it is asked; a dirty one goes to the tail, which answers
// only once the write is committed (durable at the tail).
TEST(ChainRules, CraqAnswersCleanKeysLocallyAndAsksTheTailForDirtyOnes) {
  Cluster c(3, ChainOptions(PbReads::kCraq));
  c.Run(Seconds(2));
  const std::vector<NodeId> order = Order(c);
  ASSERT_EQ(order.size(), 3u);
  const NodeId middle = order[1];
  ASSERT_EQ(c.Request(order[0], Command::Put("k", "v1")).status, ReplyStatus::kOk);
  ClientReply r = c.Request(middle, Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v1");
  EXPECT_EQ(InfoOf(c.node(middle), "craq_clean_reads"), "1");
  // v2 reaches the tail but its sync is held: dirty at the middle, not committed.
  c.hold_syncs.insert(order[2]);
  const ReplyHandle w = 5151;
  c.node(order[0]).OnClientRequest(w, Command::Put("k", "v2"));
  c.node(order[0]).EndTurn();
  c.Run(Millis(200));
  ASSERT_EQ(c.node(middle).Status().applied_index, c.node(order[2]).Status().applied_index);
  const ReplyHandle h = 6161;
  c.node(middle).OnClientRequest(h, Command::Get("k"));
  c.node(middle).EndTurn();
  c.Run(Millis(100));
  EXPECT_EQ(InfoOf(c.node(middle), "craq_dirty_reads"), "1");
  EXPECT_FALSE(c.env(middle).replies.contains(h)) << "a dirty key answered before the tail committed it";
  c.hold_syncs.clear();
  c.Run(Millis(200));
  ASSERT_TRUE(c.env(middle).replies.contains(h));
  EXPECT_EQ(c.env(middle).replies[h].result.value, "v2");
  ASSERT_TRUE(c.env(order[0]).replies.contains(w));
}

// A middle member fails holding a write it had not passed on: its predecessor's transfer in the
// next view carries it to the new successor, and the write commits.
TEST(ChainView, MiddleFailureThePredecessorResendsWhatItHadNotPassedOn) {
  Cluster c(3, ChainOptions());
  c.Run(Seconds(2));
  const std::vector<NodeId> order = Order(c);
  ASSERT_EQ(order.size(), 3u);
  c.hold_syncs.insert(order[1]);
  const ReplyHandle h = 7171;
  c.node(order[0]).OnClientRequest(h, Command::Put("k", "v"));
  c.node(order[0]).EndTurn();
  c.Run(Millis(100));
  c.Cut(order[1]);
  c.Run(Seconds(3));
  const std::vector<NodeId> next = Order(c, order[0]);
  EXPECT_EQ(next, (std::vector<NodeId>{order[0], order[2]}));
  ASSERT_TRUE(c.env(order[0]).replies.contains(h));
  EXPECT_EQ(c.env(order[0]).replies[h].status, ReplyStatus::kOk);
  const ClientReply r = c.Request(order[2], Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v");
}

// The head fails: the next synced member heads the chain and holds every acknowledged write.
TEST(ChainView, HeadFailureKeepsAcknowledgedWrites) {
  Cluster c(3, ChainOptions());
  c.Run(Seconds(2));
  const std::vector<NodeId> order = Order(c);
  ASSERT_EQ(order.size(), 3u);
  ASSERT_EQ(c.Request(order[1], Command::Put("k", "v")).status, ReplyStatus::kOk);
  c.Cut(order[0]);
  c.Run(Seconds(3));
  EXPECT_EQ(Order(c, order[1]), (std::vector<NodeId>{order[1], order[2]}));
  EXPECT_EQ(c.Request(order[1], Command::Put("k2", "w")).status, ReplyStatus::kOk);
  const ClientReply r = c.Request(order[2], Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v");
}

// The tail fails: its predecessor becomes the tail and answers reads of what it holds.
TEST(ChainView, TailFailureTheNewTailCommitsWhatItHolds) {
  Cluster c(3, ChainOptions());
  c.Run(Seconds(2));
  const std::vector<NodeId> order = Order(c);
  ASSERT_EQ(order.size(), 3u);
  ASSERT_EQ(c.Request(order[0], Command::Put("k", "v")).status, ReplyStatus::kOk);
  c.Cut(order[2]);
  c.Run(Seconds(3));
  EXPECT_EQ(Order(c, order[0]), (std::vector<NodeId>{order[0], order[1]}));
  EXPECT_EQ(std::string(c.node(order[1]).Status().role), "tail");
  const ClientReply r = c.Request(order[0], Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v");
}

TEST(ChainMessages, CarryTheChainTag) {
  const PeerMessage p = EncodePbMessage(PbAck{3, 9}, kChainPolicyTag);
  EXPECT_EQ(p.policy, kChainPolicyTag);
  EXPECT_TRUE(DecodePbMessage(p, kChainPolicyTag).ok());
  EXPECT_FALSE(DecodePbMessage(p).ok());  // not a pb message.
}

}  // namespace
}  // namespace kvlab::core
