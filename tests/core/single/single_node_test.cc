#include "core/single/single_node.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/constants.h"
#include "core/policy/registry.h"
#include "tests/support/mem_disk.h"

namespace kvlab::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::Contains;

// A tiny Env: records replies, owns a MemDisk, time set by the test.
class FakeEnv : public Env {
 public:
  NodeId self() const override { return 1; }
  Nanos Now() override { return now; }
  void Send(NodeId, Message) override { ++sent; }
  void SetTimer(Nanos, TimerToken) override {}
  void Reply(ReplyHandle handle, ClientReply reply) override {
    EXPECT_EQ(replies.count(handle), 0u) << "replied twice to " << handle;
    replies[handle] = std::move(reply);
  }
  Disk& disk() override { return mem_disk; }
  Rng& rng() override { return rng_; }

  Nanos now = 0;
  int sent = 0;
  MemDisk mem_disk;
  std::map<ReplyHandle, ClientReply> replies;

 private:
  Rng rng_{1};
};

NodeConfig OneNode() { return NodeConfig{.self = 1, .members = {1}, .fsync = true}; }

std::unique_ptr<Node> StartedNode(FakeEnv& env) {
  absl::StatusOr<std::unique_ptr<Node>> node = MakeNode(*ParsePolicyChoice("single"), OneNode(), env);
  EXPECT_TRUE(node.ok()) << node.status();
  EXPECT_TRUE((*node)->Start().ok());
  return *std::move(node);
}

TEST(SingleNodeTest, RepliesAreHeldUntilEndTurn) {
  FakeEnv env;
  auto node = StartedNode(env);
  node->OnClientRequest(1, Command::Put("a", "1"));
  node->OnClientRequest(2, Command::Get("a"));
  EXPECT_TRUE(env.replies.empty());
  EXPECT_EQ(env.mem_disk.syncs, 0);
  node->EndTurn();
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
    node->OnClientRequest(2, Command::Put("b", "2"));  // never acknowledged
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
  EXPECT_EQ(env.sent, 0);
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
  node->EndTurn();
  EXPECT_EQ(env.replies[1].status, ReplyStatus::kUnknown);
  EXPECT_THAT(env.replies[1].message, HasSubstr("injected sync failure"));
  // The store is failed for good: later writes are refused, not silently accepted.
  node->OnClientRequest(2, Command::Put("b", "2"));
  node->EndTurn();
  EXPECT_EQ(env.replies[2].status, ReplyStatus::kUnknown);
  EXPECT_THAT(node->Info(), Contains(Pair("storage_error", HasSubstr("injected"))));
}

TEST(SingleNodeTest, PendingRepliesAreBounded) {
  FakeEnv env;
  auto node = StartedNode(env);
  for (size_t i = 0; i < kMaxPendingClientRequests; ++i) node->OnClientRequest(i, Command::Get("a"));
  EXPECT_TRUE(env.replies.empty());
  node->OnClientRequest(kMaxPendingClientRequests, Command::Get("a"));
  ASSERT_EQ(env.replies.size(), 1u);
  EXPECT_EQ(env.replies[kMaxPendingClientRequests].status, ReplyStatus::kBusy);
  node->EndTurn();
  EXPECT_EQ(env.replies.size(), kMaxPendingClientRequests + 1);
}

}  // namespace
}  // namespace kvlab::core
