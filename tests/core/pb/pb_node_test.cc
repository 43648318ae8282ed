// Rules of the `pb` policy and its embedded view service, on a hand-stepped cluster of PbNodes
// (pb_cluster.h).
#include "core/pb/pb_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/pb/pb_messages.h"
#include "tests/core/pb/pb_cluster.h"

namespace kvlab::core {
namespace {

using pbtest::Cluster;
using pbtest::InfoOf;

TEST(PbView, FirstViewHoldsEveryNodeAndItsPrimaryServes) {
  Cluster c(3);
  c.Run(Seconds(2));
  const View v = c.node(1).view_service().view();
  EXPECT_EQ(v.epoch, 1u);
  ASSERT_EQ(v.members.size(), 3u);
  for (NodeId id = 1; id <= 3; ++id) EXPECT_EQ(c.node(id).view_service().view(), v) << id;
  ASSERT_NE(c.Primary(), kNoNode);
  EXPECT_EQ(c.Request(2, Command::Put("k", "v")).status, ReplyStatus::kOk);
  const ClientReply r = c.Request(3, Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v");
}

TEST(PbView, LapsedBackupIsRemovedAndWritesGoOn) {
  Cluster c(3);
  c.Run(Seconds(2));
  const NodeId primary = c.Primary();
  ASSERT_NE(primary, kNoNode);
  const NodeId backup = primary % 3 + 1;
  const uint64_t epoch = c.node(primary).epoch();
  c.Cut(backup);
  // A sync write cannot commit without the cut backup until the view service removes it.
  const ClientReply r = c.Request(primary, Command::Put("k", "v"), Seconds(4));
  EXPECT_EQ(r.status, ReplyStatus::kOk) << r.message;
  const View v = c.node(primary).view_service().view();
  EXPECT_GT(v.epoch, epoch);
  EXPECT_EQ(v.Find(backup), nullptr);
  EXPECT_EQ(v.primary(), primary);
}

TEST(PbView, LapsedPrimaryIsReplacedBySyncedBackupThatHasItsWrites) {
  Cluster c(3);
  c.Run(Seconds(2));
  const NodeId primary = c.Primary();
  ASSERT_NE(primary, kNoNode);
  const NodeId other = primary % 3 + 1;
  ASSERT_EQ(c.Request(other, Command::Put("k", "v1")).status, ReplyStatus::kOk);
  c.Cut(primary);
  c.Run(Seconds(3));
  const NodeId next = c.Primary();
  ASSERT_NE(next, kNoNode);
  EXPECT_NE(next, primary);
  EXPECT_EQ(c.node(next).view_service().view().Find(primary), nullptr);
  const ClientReply r = c.Request(next, Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.value, "v1");
}

// Fencing: a write the old primary sent in an earlier epoch is refused by a backup that moved on.
TEST(PbView, BackupRefusesMessagesOfAnOlderEpoch) {
  Cluster c(3);
  c.Run(Seconds(2));
  const NodeId primary = c.Primary();
  ASSERT_NE(primary, kNoNode);
  std::vector<Message> kept;
  c.intercept = [&](const Message& m) {
    if (m.from != primary || m.type != MessageType::kPeer) return false;
    const auto& p = std::get<PeerMessage>(m.body);
    if (p.policy != kPbPolicyTag || p.kind != 3) return false;  // PbReplicate
    kept.push_back(m);
    return true;
  };
  const ReplyHandle h = 999;
  c.node(primary).OnClientRequest(h, Command::Put("k", "old"));
  c.node(primary).EndTurn();
  c.Run(Millis(50));
  c.intercept = nullptr;
  ASSERT_FALSE(kept.empty());
  c.Cut(primary);
  c.Run(Seconds(3));
  const NodeId next = c.Primary();
  ASSERT_NE(next, kNoNode);
  ASSERT_NE(next, primary);
  // The old primary's write to the member that stayed a backup (not the new primary).
  auto stale = std::find_if(kept.begin(), kept.end(), [&](const Message& m) { return m.to != next; });
  ASSERT_NE(stale, kept.end());
  const NodeId to = stale->to;
  ASSERT_FALSE(c.node(to).primary());
  const std::string before = InfoOf(c.node(to), "fenced_messages");
  const uint64_t lsn = c.node(to).Status().applied_index;
  c.node(to).OnMessage(*stale);
  c.node(to).EndTurn();
  EXPECT_NE(InfoOf(c.node(to), "fenced_messages"), before);
  EXPECT_EQ(c.node(to).Status().applied_index, lsn);
  const ClientReply r = c.Request(next, Command::Get("k"));
  ASSERT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.result.kind, ResultKind::kNil);  // the unacknowledged old write never took effect.
}

// A primary cut off from the view service stops serving reads once its lease ran out.
TEST(PbView, PrimaryWithoutLeaseServesNoRead) {
  Cluster c(3);
  c.Run(Seconds(2));
  const NodeId primary = c.Primary();
  ASSERT_NE(primary, kNoNode);
  ASSERT_EQ(c.Request(primary, Command::Put("k", "v")).status, ReplyStatus::kOk);
  c.Cut(primary);
  // Beyond the 300 ms lease, counted from the last grant: if the primary leads the view service
  // itself it grants itself leases until raft's check-quorum deposes it (300 ms).
  c.Run(Millis(900));
  const ReplyHandle h = 777;
  c.node(primary).OnClientRequest(h, Command::Get("k"));
  c.node(primary).EndTurn();
  c.Run(Millis(100));
  auto it = c.env(primary).replies.find(h);
  EXPECT_TRUE(it == c.env(primary).replies.end() || it->second.status != ReplyStatus::kOk);
}

// A backup acknowledges only what its disk has synced, and a sync primary answers only then.
TEST(PbRules, BackupAcksOnlyAfterSyncAndSyncPrimaryWaitsForIt) {
  Cluster c(3);
  c.Run(Seconds(2));
  const NodeId primary = c.Primary();
  ASSERT_NE(primary, kNoNode);
  const NodeId slow = primary % 3 + 1;
  c.hold_syncs.insert(slow);
  uint64_t max_acked = 0;
  c.intercept = [&](const Message& m) {
    if (m.from != slow || m.type != MessageType::kPeer) return false;
    absl::StatusOr<PbMessage> d = DecodePbMessage(std::get<PeerMessage>(m.body));
    if (d.ok() && std::holds_alternative<PbAck>(*d)) max_acked = std::max(max_acked, std::get<PbAck>(*d).lsn);
    return false;
  };
  const uint64_t before = c.node(slow).Status().applied_index;
  const ReplyHandle h = 4242;
  c.node(primary).OnClientRequest(h, Command::Put("k", "v"));
  c.node(primary).EndTurn();
  c.Run(Millis(200));
  EXPECT_GT(c.node(slow).Status().applied_index, before);  // it has the write, not yet durable.
  EXPECT_LE(max_acked, before);
  EXPECT_FALSE(c.env(primary).replies.contains(h)) << "acknowledged before every backup synced";
  c.hold_syncs.clear();
  c.Run(Millis(200));
  ASSERT_TRUE(c.env(primary).replies.contains(h));
  EXPECT_EQ(c.env(primary).replies[h].status, ReplyStatus::kOk);
  EXPECT_GT(max_acked, before);
}

TEST(PbMessages, RoundTripAndGarbage) {
  PbReplicate rep{7, {PbEntry{3, 1234, Command::Put("a", "b")}}};
  absl::StatusOr<PbMessage> back = DecodePbMessage(EncodePbMessage(rep));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<PbReplicate>(*back), rep);
  PeerMessage bad{kPbPolicyTag, 3, "\xff\xff"};
  EXPECT_FALSE(DecodePbMessage(bad).ok());
  View v{4, {{1, 9, true}, {3, 11, false}}};
  absl::StatusOr<View> vb = DecodeView(EncodeView(v));
  ASSERT_TRUE(vb.ok());
  EXPECT_EQ(*vb, v);
  EXPECT_FALSE(DecodeView("\x01").ok());
}

}  // namespace
}  // namespace kvlab::core
