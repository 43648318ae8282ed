// The policy registry and run-time parameters: lookup, parsing, validation and the labels that
// name a policy setting in reports.
#include "core/policy/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/support/mem_disk.h"

namespace kvlab::core {
namespace {

using ::testing::HasSubstr;

class NullEnv : public Env {
 public:
  NodeId self() const override { return 1; }
  Nanos Now() override { return 0; }
  void Send(NodeId, Message) override {}
  void SetTimer(Nanos, TimerToken) override {}
  void Reply(ReplyHandle, ClientReply) override {}
  Disk& disk() override { return disk_; }
  Rng& rng() override { return rng_; }

 private:
  MemDisk disk_;
  Rng rng_{1};
};

TEST(RegistryTest, EveryPolicyHasAUniqueNameAndTagAndValidDefaults) {
  std::set<std::string_view> names;
  std::set<uint8_t> tags;
  for (const PolicyInfo* p : Policies()) {
    EXPECT_TRUE(names.insert(p->name).second) << p->name;
    EXPECT_TRUE(tags.insert(p->tag).second) << p->name;
    EXPECT_LE(p->min_nodes, p->default_nodes);
    EXPECT_LE(p->default_nodes, p->max_nodes);
    ASSERT_NE(p->make, nullptr);
    ASSERT_NE(p->max_faulty, nullptr);
    EXPECT_LT(2 * p->max_faulty(p->default_nodes), p->default_nodes) << p->name << ": a majority must stay";
    // Its defaults parse, and a default choice has no overrides: its label is its name.
    absl::StatusOr<PolicyChoice> choice = ParsePolicyChoice(p->name);
    ASSERT_TRUE(choice.ok()) << choice.status();
    EXPECT_EQ(choice->label(), p->name);
  }
}

TEST(RegistryTest, UnknownPolicyListsTheKnownOnes) {
  absl::StatusOr<PolicyChoice> c = ParsePolicyChoice("paxos");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("unknown policy 'paxos' (known: " + PolicyNameList()));
}

TEST(RegistryTest, ParametersInTheNameAndFromParamFlagsAreCheckedAndLabelled) {
  absl::StatusOr<PolicyChoice> c =
      ParsePolicyChoice("raft:election_timeout_ms=50..100", {"raft.heartbeat_ms=20", "raft.pre_vote=off"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->params.Range("election_timeout_ms"), (std::pair<int64_t, int64_t>(50, 100)));
  EXPECT_EQ(c->params.Int("heartbeat_ms"), 20);
  EXPECT_FALSE(c->params.Bool("pre_vote"));
  EXPECT_EQ(c->label(), "raft:election_timeout_ms=50..100:heartbeat_ms=20:pre_vote=off");
  // The label parses back to the same setting: replay lines and comparisons use it.
  absl::StatusOr<PolicyChoice> again = ParsePolicyChoice(c->label());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->label(), c->label());
}

TEST(RegistryTest, BadParametersAreRefusedWithTheParameterNamed) {
  const std::pair<std::string, std::string> cases[] = {
      {"raft:election_timeout_ms=300..100", "raft.election_timeout_ms=300..100: the range's low end"},
      {"raft:election_timeout_ms=5..100", "5 is outside 10..60000"},
      {"raft:heartbeat_ms=x", "'x' is not an integer"},
      {"raft:pre_vote=maybe", "not a boolean"},
      {"raft:nope=1", "raft.nope: no such parameter"},
      {"raft:heartbeat_ms", "expected name=value"},
      {"raft:heartbeat_ms=100", "raft.heartbeat_ms=100: must be below half"},
      {"single:snapshot_entries=5", "single.snapshot_entries: no such parameter (single has: none)"},
  };
  for (const auto& [text, why] : cases) {
    absl::StatusOr<PolicyChoice> c = ParsePolicyChoice(text);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(c.status().message(), HasSubstr(why)) << text;
  }
  absl::StatusOr<PolicyChoice> wrong_prefix = ParsePolicyChoice("raft", {"single.x=1"});
  EXPECT_THAT(wrong_prefix.status().message(), HasSubstr("must start with the policy"));
}

TEST(RegistryTest, ClusterSizesAreCheckedAgainstThePolicy) {
  NullEnv env;
  absl::StatusOr<std::unique_ptr<Node>> node =
      MakeNode(*ParsePolicyChoice(DefaultPolicy().name), NodeConfig{.self = 1, .members = {1, 2, 3}}, env);
  if (DefaultPolicy().max_nodes < 3) {
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(node.status().message(), HasSubstr("runs on"));
  }
  absl::StatusOr<std::unique_ptr<Node>> unsorted =
      MakeNode(*ParsePolicyChoice(DefaultReplicatedPolicy().name), NodeConfig{.self = 1, .members = {2, 1, 3}}, env);
  EXPECT_EQ(unsorted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_GT(DefaultReplicatedPolicy().default_nodes, 1);
}

}  // namespace
}  // namespace kvlab::core
