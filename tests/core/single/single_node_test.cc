#include "core/single/single_node.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/constants.h"
#include "core/policy/registry.h"
#include "tests/support/fake_env.h"

namespace kvlab::core {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

NodeConfig OneNode() { return NodeConfig{.self = 1, .members = {1}, .fsync = true}; }

std::unique_ptr<Node> StartedNode(FakeEnv& env) {
  absl::StatusOr<std::unique_ptr<Node>> node = MakeNode(*ParsePolicyChoice("single"), OneNode(), env);
  EXPECT_TRUE(node.ok()) << node.status();
  EXPECT_TRUE((*node)->Start().ok());
  return *std::move(node);
}

TEST(SingleNodeTest, RepliesAreHeldUntilTheSyncCoveringThemCompletes) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->OnClientRequest(2, Command::Get("a"));
  EXPECT_TRUE(env.replies.empty());
  node->EndTurn();
  EXPECT_TRUE(env.replies.empty()) << "the sync has started, not completed";
  EXPECT_EQ(env.mem_disk.pending_syncs(), 1u);
  EXPECT_EQ(env.mem_disk.syncs, 0);
  EXPECT_EQ(env.CompleteSyncs(*node), 1);
  ASSERT_EQ(env.replies.size(), 2u);
  EXPECT_EQ(env.mem_disk.syncs, 1) << "one fsync covers the turn";
  EXPECT_EQ(env.replies[1].status, ReplyStatus::kOk);
  EXPECT_EQ(env.replies[1].result, Result::Ok());
  EXPECT_EQ(env.replies[2].result, Result::Value("1")) << "a read sees the write before it";
}

TEST(SingleNodeTest, ReadOnlyTurnDoesNotSync) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Get("a"));
  node->EndTurn();
  EXPECT_EQ(env.replies[1].result, Result::Nil());
  EXPECT_EQ(env.mem_disk.syncs, 0);
}

TEST(SingleNodeTest, InvalidCommandIsRefusedAtOnce) {
  FakeEnv env;
  auto node = StartedNode(env);
  Command bad;
  bad.op = Op::kGet;  // no key
  node->OnClientRequest(7, bad);
  ASSERT_EQ(env.replies.count(7), 1u);
  EXPECT_EQ(env.replies[7].status, ReplyStatus::kInvalid);
  EXPECT_THAT(env.replies[7].message, HasSubstr("one key"));
}

TEST(SingleNodeTest, AcknowledgedWritesSurviveCrashAndRestart) {
  FakeEnv env;
  {
    auto node = StartedNode(env);
    node->OnClientRequest(1, Command::Put("a", "1"));
    node->EndTurn();
    env.CompleteSyncs(*node);
    node->OnClientRequest(2, Command::Put("b", "2"));  // never acknowledged: its sync is cut off.
    node->EndTurn();
    EXPECT_EQ(env.mem_disk.pending_syncs(), 1u);
    EXPECT_EQ(env.replies.count(2), 0u);
  }
  env.mem_disk.Crash();
  env.replies.clear();
  auto node = StartedNode(env);
  node->OnClientRequest(3, Command::Get("a"));
  node->OnClientRequest(4, Command::Get("b"));
  node->EndTurn();
  EXPECT_EQ(env.replies[3].result, Result::Value("1"));
  EXPECT_EQ(env.replies[4].result, Result::Nil());
  EXPECT_EQ(node->KeyCount(), 1u);
}

TEST(SingleNodeTest, ExpiryUsesEnvClock) {
  FakeEnv env;
  auto node = StartedNode(env);
  Command c = Command::Put("a", "1");
  c.expire_at_ms = 10;
  node->OnClientRequest(1, c);
  env.now = Millis(11);
  node->OnClientRequest(2, Command::Get("a"));
  node->EndTurn();
  env.CompleteSyncs(*node);
  EXPECT_EQ(env.replies[2].result, Result::Nil());
}

TEST(SingleNodeTest, CorruptLogMakesStartFail) {
  FakeEnv env;
  env.mem_disk.SetContents("wal", std::string(40, 'x'));
  absl::StatusOr<std::unique_ptr<Node>> node = MakeNode(*ParsePolicyChoice("single"), OneNode(), env);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)->Start().code(), absl::StatusCode::kDataLoss);
  (*node)->OnClientRequest(1, Command::Get("a"));
  EXPECT_EQ(env.replies[1].status, ReplyStatus::kTryAgain);
}

TEST(SingleNodeTest, StrayMessagesAreIgnored) {
  FakeEnv env;
  auto node = StartedNode(env);
  Message msg;
  msg.type = MessageType::kForwardRequest;
  msg.body = ClientRequest{.request_id = 1, .command = Command::Put("a", "1")};
  node->OnMessage(msg);
  node->OnTimer(99);
  node->EndTurn();
  EXPECT_TRUE(env.replies.empty());
  EXPECT_TRUE(env.sent.empty());
  EXPECT_EQ(node->KeyCount(), 0u);
}

TEST(SingleNodeTest, InfoReportsRoleAndCounters) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->EndTurn();
  const auto info = node->Info();
  EXPECT_THAT(info, Contains(Pair("role", "single")));
  EXPECT_THAT(info, Contains(Pair("keys", "1")));
  EXPECT_THAT(info, Contains(Pair("fsyncs", "1")));
}

TEST(SingleNodeTest, SyncFailureRepliesUnknownAndStopsWrites) {
  FakeEnv env;
  auto node = StartedNode(env);
  env.mem_disk.fail_syncs = true;
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->OnClientRequest(2, Command::Get("a"));
  node->EndTurn();
  EXPECT_TRUE(env.replies.empty());
  env.CompleteSyncs(*node);
  EXPECT_EQ(env.replies[1].status, ReplyStatus::kUnknown);
  EXPECT_THAT(env.replies[1].message, HasSubstr("injected sync failure"));
  // The read saw the write whose fate is unknown: it is refused, not answered.
  EXPECT_EQ(env.replies[2].status, ReplyStatus::kTryAgain);
  EXPECT_TRUE(node->Status().failed);
  // The store is failed for good: later requests are refused, not silently accepted.
  node->OnClientRequest(3, Command::Put("b", "2"));
  node->EndTurn();
  EXPECT_EQ(env.replies[3].status, ReplyStatus::kTryAgain);
  EXPECT_EQ(env.mem_disk.pending_syncs(), 0u);
  EXPECT_THAT(node->Info(), Contains(Pair("storage_error", HasSubstr("injected"))));
}

TEST(SingleNodeTest, WritesDuringASyncWaitForTheNextOne) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->EndTurn();
  node->OnClientRequest(2, Command::Put("b", "2"));
  node->OnClientRequest(3, Command::Get("a"));  // could see b's write? No, but it is newer: held.
  node->EndTurn();
  EXPECT_EQ(env.mem_disk.pending_syncs(), 1u) << "one sync in flight at a time";
  MemDisk::Completion first = env.mem_disk.CompleteOldestSync();
  node->OnSyncDone(first.token, first.status);
  EXPECT_EQ(env.replies.count(1), 1u);
  EXPECT_EQ(env.replies.count(2), 0u) << "the first sync did not cover b";
  EXPECT_EQ(env.replies.count(3), 0u);
  node->EndTurn();  // starts the sync covering b.
  EXPECT_EQ(env.mem_disk.pending_syncs(), 1u);
  env.CompleteSyncs(*node);
  EXPECT_EQ(env.replies[2].result, Result::Ok());
  EXPECT_EQ(env.replies[3].result, Result::Value("1"));
}

TEST(SingleNodeTest, ReadOfDurableStateIsAnsweredAtTurnEnd) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->EndTurn();
  env.CompleteSyncs(*node);
  node->OnClientRequest(2, Command::Get("a"));
  node->EndTurn();
  EXPECT_EQ(env.replies[2].result, Result::Value("1"));
  EXPECT_EQ(env.mem_disk.pending_syncs(), 0u);
}

// A slow sync of one key's write must not stall reads of keys whose last writes are durable
// (the real node's GETs during a 200 ms fsync); a read of the key being synced still waits.
TEST(SingleNodeTest, ReadOfADurableKeyIsAnsweredWhileAnotherKeysSyncIsInFlight) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->EndTurn();
  env.CompleteSyncs(*node);
  node->OnClientRequest(2, Command::Put("b", "2"));
  node->EndTurn();
  ASSERT_EQ(env.mem_disk.pending_syncs(), 1u);
  node->OnClientRequest(3, Command::Get("a"));
  node->OnClientRequest(4, Command::Get("b"));
  node->EndTurn();
  EXPECT_EQ(env.replies[3].result, Result::Value("1"));
  EXPECT_EQ(env.replies.count(4), 0u) << "b's value is not durable yet";
  env.CompleteSyncs(*node);
  EXPECT_EQ(env.replies[4].result, Result::Value("2"));
}

TEST(SingleNodeTest, WriteErrorFailsTheBatchAsUnknown) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  env.mem_disk.fail_appends = true;
  node->OnClientRequest(2, Command::Put("b", "2"));
  node->EndTurn();
  EXPECT_EQ(env.replies[1].status, ReplyStatus::kUnknown) << "its sync can no longer be trusted";
  EXPECT_EQ(env.replies[2].status, ReplyStatus::kUnknown);
  EXPECT_TRUE(node->Status().failed);
}

TEST(SingleNodeTest, PendingRepliesAreBounded) {
  FakeEnv env;
  auto node = StartedNode(env);
  // Writes wait for their sync (a read of durable keys would be answered at once).
  for (size_t i = 0; i < kMaxPendingClientRequests; ++i) node->OnClientRequest(i, Command::Put("a", "1"));
  EXPECT_TRUE(env.replies.empty());
  node->OnClientRequest(kMaxPendingClientRequests, Command::Put("a", "2"));
  ASSERT_EQ(env.replies.size(), 1u);
  EXPECT_EQ(env.replies[kMaxPendingClientRequests].status, ReplyStatus::kBusy);
  node->EndTurn();
  EXPECT_EQ(env.CompleteSyncs(*node), 1);
  EXPECT_EQ(env.replies.size(), kMaxPendingClientRequests + 1);
}

}  // namespace
}  // namespace kvlab::core
