// kvlab bench against a real `kvlab node` on 127.0.0.1: the six scenarios with bounded sizes run
// through RunBench (fibers on an epoll loop over RESP connections), complete every operation and
// leave a linearizable history; the RESP client maps replies and connection trouble to outcomes;
// the CLI exits 2 with a one-line reason for an unreachable target.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/resp_reply.h"
#include "real/bench_run.h"
#include "real/real_runtime.h"
#include "real/resp_client.h"
#include "tests/real/node_process.h"
#include "workloads/scenario.h"

namespace kvlab::real {
namespace {

using testing::NodeProcess;
using testing::RunShell;
using testing::TempDir;

// A scenario cut down to test size: few ops and clients, short duration, short timeouts.
workloads::Scenario Bounded(const std::string& name) {
  workloads::Scenario s = *workloads::FindScenario(name);
  s.keys = std::min<uint64_t>(s.keys, 200);
  s.clients = std::min(s.clients, 20);
  s.in_flight = std::min(s.in_flight, s.clients);
  if (s.ops > 0) s.ops = 200;
  if (s.duration > 0) s.duration = core::Millis(500);
  if (s.arrival == workloads::Arrival::kOpen) s.rate_ops_s = 400;
  s.request_timeout = core::Seconds(5);
  return s;
}

class BenchDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<NodeProcess>(dir_.path(), std::vector<std::string>{"--durability", "none"});
    port_ = node_->WaitReady();
    ASSERT_GT(port_, 0) << node_->stdout_text();
  }
  BenchOptions Options(const workloads::Scenario& scenario) {
    BenchOptions o;
    o.scenario = scenario;
    o.targets = {Target{"127.0.0.1", port_}};
    o.label = "kvlab";
    o.flush = true;
    return o;
  }

  TempDir dir_;
  std::unique_ptr<NodeProcess> node_;
  int port_ = 0;
};

class SixScenariosTest : public BenchDriverTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(SixScenariosTest, CompletesEveryOperationWithALinearizableHistory) {
  const workloads::Scenario scenario = Bounded(GetParam());
  absl::StatusOr<BenchOutcome> out = RunBench(Options(scenario));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->problems.empty()) << out->problems.front();
  ASSERT_TRUE(out->report.check.has_value());
  EXPECT_TRUE(out->report.check->ok) << out->check_details;
  EXPECT_EQ(out->report.world, "real");
  EXPECT_EQ(out->report.errors, 0u);
  if (scenario.ops > 0) {
    EXPECT_EQ(out->report.ops, scenario.ops);
  } else {
    EXPECT_GT(out->report.ops, 0u);
  }
  EXPECT_GT(out->report.throughput_ops_s, 0);
  EXPECT_FALSE(out->history.empty());
  EXPECT_EQ(out->notes.empty(), scenario.faults.empty());  // faults are reported as not applied.
}

INSTANTIATE_TEST_SUITE_P(Builtins, SixScenariosTest,
                         ::testing::Values("throughput", "latency", "hot_cold", "mixed", "high_concurrency",
                                           "failure"));

TEST_F(BenchDriverTest, UnreachableTargetIsUnavailableAndNamesTheTarget) {
  BenchOptions o = Options(Bounded("latency"));
  o.targets = {Target{"127.0.0.1", port_}, Target{"127.0.0.1", 1}};
  absl::StatusOr<BenchOutcome> out = RunBench(o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(out.status().message()).find("127.0.0.1:1"), std::string::npos) << out.status();
}

TEST_F(BenchDriverTest, ClientFailsOverToTheNextTargetWhenItsConnectionIsRefused) {
  auto rt = *RealRuntime::Create({Target{"127.0.0.1", 1}, Target{"127.0.0.1", port_}}, core::Seconds(5));
  std::vector<workloads::ClientResult> results;
  rt->Spawn([&] {
    RespClient client(*rt, 0);
    results.push_back(client.Put("k", "v1"));  // refused: not applied, moves on.
    results.push_back(client.Put("k", "v2"));
    results.push_back(client.Get("k"));
  });
  ASSERT_TRUE(rt->RunUntil([&] { return rt->AllFinished(); }, rt->Now() + core::Seconds(20)).ok());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome, workloads::Outcome::kFail);
  EXPECT_EQ(results[1].outcome, workloads::Outcome::kOk);
  EXPECT_EQ(results[2].outcome, workloads::Outcome::kOk);
  EXPECT_EQ(results[2].result, core::Result::Value("v2"));
}

TEST_F(BenchDriverTest, DroppedConnectionMakesTheCallUnknownAndTheNextCallReconnects) {
  auto rt = *RealRuntime::Create({Target{"127.0.0.1", port_}}, core::Seconds(5));
  std::vector<workloads::ClientResult> results;
  uint64_t connects = 0;
  rt->Spawn([&] {
    RespClient client(*rt, 0);
    results.push_back(client.Put("a", "1"));
    // CLIENT KILL-like: the server closes the connection on a malformed request.
    core::Command bad = core::Command::Put("b", "2");
    bad.keys[0] = std::string(core::kMaxKeyBytes + 1, 'x');  // over the server's key limit.
    results.push_back(client.Execute(bad));
    results.push_back(client.Get("a"));
    connects = client.connects();
  });
  ASSERT_TRUE(rt->RunUntil([&] { return rt->AllFinished(); }, rt->Now() + core::Seconds(20)).ok());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome, workloads::Outcome::kOk);
  EXPECT_NE(results[1].outcome, workloads::Outcome::kOk);  // refused (-ERR) or dropped.
  EXPECT_EQ(results[2].outcome, workloads::Outcome::kOk);
  EXPECT_EQ(results[2].result, core::Result::Value("1"));
  EXPECT_GE(connects, 1u);
}

TEST_F(BenchDriverTest, PreconnectedClientsUseTheirOpenConnection) {
  auto rt = *RealRuntime::Create({Target{"127.0.0.1", port_}}, core::Seconds(5));
  rt->Preconnect(3, core::Seconds(5));
  std::vector<uint64_t> connects;
  rt->Spawn([&] {
    for (int i = 0; i < 4; ++i) {  // three pre-opened, the fourth connects on its first call.
      std::unique_ptr<workloads::Client> client = rt->Connect(i);
      auto* resp = static_cast<RespClient*>(client.get());
      const uint64_t before = resp->connects();
      EXPECT_EQ(client->Put("k", "v").outcome, workloads::Outcome::kOk);
      connects.push_back(before * 10 + resp->connects());
    }
  });
  ASSERT_TRUE(rt->RunUntil([&] { return rt->AllFinished(); }, rt->Now() + core::Seconds(20)).ok());
  EXPECT_EQ(connects, (std::vector<uint64_t>{11, 11, 11, 1}));
}

TEST_F(BenchDriverTest, SilentServerTimesOutAsUnknown) {
  node_->Signal(SIGSTOP);  // accepts in the kernel backlog, never answers.
  auto rt = *RealRuntime::Create({Target{"127.0.0.1", port_}}, core::Millis(300));
  workloads::ClientResult result;
  rt->Spawn([&] {
    RespClient client(*rt, 0);
    result = client.Put("k", "v");
  });
  ASSERT_TRUE(rt->RunUntil([&] { return rt->AllFinished(); }, rt->Now() + core::Seconds(10)).ok());
  node_->Signal(SIGCONT);
  EXPECT_EQ(result.outcome, workloads::Outcome::kUnknown);
  EXPECT_NE(result.error.find("timeout"), std::string::npos) << result.error;
}

// The client keeps one timer armed across calls: the first call's timer, firing while the second
// call waits, must re-arm for the second call's deadline and then time it out.
TEST_F(BenchDriverTest, SecondCallTimesOutThroughTheFirstCallsTimer) {
  auto rt = *RealRuntime::Create({Target{"127.0.0.1", port_}}, core::Millis(300));
  workloads::ClientResult first, second;
  rt->Spawn([&] {
    RespClient client(*rt, 0);
    first = client.Put("k", "v");
    node_->Signal(SIGSTOP);
    // The workload's pacing, not a wait for a condition: the second call starts half a timeout
    // after the first, so the first call's timer fires well before the second call's deadline.
    rt->SleepUntil(rt->Now() + core::Millis(150));
    second = client.Put("k", "w");
  });
  ASSERT_TRUE(rt->RunUntil([&] { return rt->AllFinished(); }, rt->Now() + core::Seconds(10)).ok());
  node_->Signal(SIGCONT);
  EXPECT_EQ(first.outcome, workloads::Outcome::kOk);
  EXPECT_EQ(second.outcome, workloads::Outcome::kUnknown);
  EXPECT_NE(second.error.find("timeout"), std::string::npos) << second.error;
}

TEST_F(BenchDriverTest, CliRunsAScenarioAndWritesJsonAndHistory) {
  const std::string json = dir_.path() + "/out.json";
  const std::string history = dir_.path() + "/history.jsonl";
  const std::string cmd = std::string(KVLAB_BINARY) + " bench --target 127.0.0.1:" + std::to_string(port_) +
                          " --scenario mixed --ops 100 --clients 4 --flush --json " + json + " --history " + history +
                          " 2>/dev/null";
  std::string out;
  ASSERT_EQ(RunShell(cmd, &out), 0) << out;
  EXPECT_NE(out.find("check linearizable: OK"), std::string::npos) << out;
  std::string text;
  ASSERT_EQ(RunShell("cat " + json, &text), 0);
  EXPECT_NE(text.find("\"world\":\"real\""), std::string::npos) << text;
  ASSERT_EQ(RunShell(std::string(KVLAB_BINARY) + " check " + history, &text), 0) << text;
}

TEST(BenchCliTest, UnreachableTargetExitsTwoWithOneLine) {
  NodeProcess bench(NodeProcess::Kvlab{{"bench", "--target", "127.0.0.1:1", "--scenario", "latency"}});
  EXPECT_EQ(bench.WaitExit(), 2);
  const std::string err = bench.stderr_text();
  EXPECT_NE(err.find("127.0.0.1:1 is unreachable"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;  // exactly one line.
}

TEST(BenchCliTest, MalformedTargetExitsTwo) {
  NodeProcess bench(NodeProcess::Kvlab{{"bench", "--target", "localhost", "--scenario", "latency"}});
  EXPECT_EQ(bench.WaitExit(), 2);
}

TEST(RespClientCodecTest, SerializesCommandsAsMultibulkRequests) {
  EXPECT_EQ(SerializeCommand(core::Command::Get("k")), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  EXPECT_EQ(SerializeCommand(core::Command::Put("k", "v")), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  core::Command nx = core::Command::Put("k", "v");
  nx.condition = core::PutCondition::kIfAbsent;
  EXPECT_EQ(SerializeCommand(nx), "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n");
  core::Command incr;
  incr.op = core::Op::kIncr;
  incr.keys = {"n"};
  incr.delta = -3;
  EXPECT_EQ(SerializeCommand(incr), "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$2\r\n-3\r\n");
  core::Command mset;
  mset.op = core::Op::kMSet;
  mset.keys = {"a", "b"};
  mset.values = {"1", "2"};
  EXPECT_EQ(SerializeCommand(mset), "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

// A reply value of `type` with text `str` (or integer `n`).
net::RespValue Reply(net::RespValue::Type type, std::string str = "", int64_t n = 0) {
  net::RespValue v;
  v.type = type;
  v.str = std::move(str);
  v.integer = n;
  return v;
}

TEST(RespClientCodecTest, MapsRepliesToOutcomes) {
  using Type = net::RespValue::Type;
  EXPECT_EQ(ReplyToResult(Reply(Type::kSimple, "OK")).result, core::Result::Ok());
  EXPECT_EQ(ReplyToResult(Reply(Type::kBulk, "v")).result, core::Result::Value("v"));
  EXPECT_EQ(ReplyToResult(Reply(Type::kNil)).result, core::Result::Nil());
  EXPECT_EQ(ReplyToResult(Reply(Type::kInteger, "", 7)).result, core::Result::Integer(7));
  EXPECT_EQ(ReplyToResult(Reply(Type::kError, "TRYAGAIN no leader")).outcome, workloads::Outcome::kFail);
  EXPECT_EQ(ReplyToResult(Reply(Type::kError, "BUSY queue full")).outcome, workloads::Outcome::kFail);
  EXPECT_EQ(ReplyToResult(Reply(Type::kError, "ERR syntax error")).outcome, workloads::Outcome::kFail);
  const workloads::ClientResult unknown = ReplyToResult(Reply(Type::kError, "UNKNOWN timed out"));
  EXPECT_EQ(unknown.outcome, workloads::Outcome::kUnknown);
  EXPECT_EQ(unknown.error, "UNKNOWN timed out");
  net::RespValue array = Reply(Type::kArray);
  array.elements = {Reply(Type::kBulk, "x"), Reply(Type::kNil)};
  const core::Result values = ReplyToResult(array).result;
  ASSERT_EQ(values.kind, core::ResultKind::kValues);
  EXPECT_EQ(values.values, (std::vector<std::optional<std::string>>{"x", std::nullopt}));
}

TEST(ParseTargetsTest, AcceptsListsAndRejectsBadEntries) {
  absl::StatusOr<std::vector<Target>> t = ParseTargets("127.0.0.1:6379,localhost:7000");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, (std::vector<Target>{{"127.0.0.1", 6379}, {"localhost", 7000}}));
  EXPECT_EQ(ParseTargets("127.0.0.1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTargets("127.0.0.1:0").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTargets("127.0.0.1:6379,").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kvlab::real
