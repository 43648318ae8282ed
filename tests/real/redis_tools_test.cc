// The stock Redis tools against a real `kvlab node`: redis-cli, redis-cli --pipe,
// redis-benchmark and python3-redis. Skipped when a tool is not installed (scripts/lib.sh
// installs redis-tools and python3-redis).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::HaveProgram;
using testing::NodeProcess;
using testing::RunShell;
using testing::TempDir;

class RedisToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<NodeProcess>(dir_.path() + "/n1", std::vector<std::string>{"--durability", "none"});
    port_ = node_->WaitReady();
    ASSERT_GT(port_, 0) << node_->stderr_text();
  }
  std::string Cli(const std::string& args) {
    std::string out;
    RunShell("redis-cli -p " + std::to_string(port_) + " " + args + " 2>&1", &out);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<NodeProcess> node_;
  int port_ = 0;
};

TEST_F(RedisToolsTest, RedisCliSetGetDelInfo) {
  if (!HaveProgram("redis-cli")) GTEST_SKIP() << "redis-cli not installed";
  EXPECT_EQ(Cli("SET greeting hello"), "OK\n");
  EXPECT_EQ(Cli("GET greeting"), "hello\n");
  EXPECT_EQ(Cli("DEL greeting"), "1\n");
  EXPECT_EQ(Cli("GET greeting"), "\n");
  EXPECT_NE(Cli("INFO").find("redis_version:"), std::string::npos);
}

TEST_F(RedisToolsTest, RedisCliPipeMassInsert) {
  if (!HaveProgram("redis-cli")) GTEST_SKIP() << "redis-cli not installed";
  const std::string file = dir_.path() + "/mass.txt";
  RunShell("for i in $(seq 1 20000); do printf 'SET key:%d value:%d\\r\\n' $i $i; done > " + file);
  std::string out;
  EXPECT_EQ(RunShell("redis-cli -p " + std::to_string(port_) + " --pipe < " + file + " 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("errors: 0, replies: 20000"), std::string::npos) << out;
  EXPECT_EQ(Cli("DBSIZE"), "20000\n");
  EXPECT_EQ(Cli("GET key:12345"), "value:12345\n");
}

TEST_F(RedisToolsTest, RedisBenchmarkRunsToCompletion) {
  if (!HaveProgram("redis-benchmark")) GTEST_SKIP() << "redis-benchmark not installed";
  std::string out;
  EXPECT_EQ(RunShell("redis-benchmark -p " + std::to_string(port_) + " -t set,get -n 20000 -q 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("SET:"), std::string::npos) << out;
  EXPECT_NE(out.find("GET:"), std::string::npos) << out;
}

TEST_F(RedisToolsTest, PythonRedisClient) {
  if (RunShell("/usr/bin/python3 -c 'import redis' 2>/dev/null") != 0) GTEST_SKIP() << "python3-redis not installed";
  std::string out;
  EXPECT_EQ(
      RunShell("/usr/bin/python3 " KVLAB_SOURCE_DIR "/tests/real/redis_py_check.py " + std::to_string(port_) + " 2>&1",
               &out),
      0)
      << out;
}

// Issue 12: redis-py's default pipeline() is MULTI ... EXEC; a command failing while queued must
// leave no write (before transactions, each queued command ran alone). Single, then raft.
TEST_F(RedisToolsTest, PythonRedisTransactionsAreAtomic) {
  if (RunShell("/usr/bin/python3 -c 'import redis' 2>/dev/null") != 0) GTEST_SKIP() << "python3-redis not installed";
  const std::string check = "/usr/bin/python3 " KVLAB_SOURCE_DIR "/tests/real/redis_py_txn_check.py ";
  std::string out;
  EXPECT_EQ(RunShell(check + std::to_string(port_) + " 2>&1", &out), 0) << out;
  NodeProcess raft(dir_.path() + "/raft", {"--policy", "raft", "--durability", "none"});
  const int raft_port = raft.WaitReady();
  ASSERT_GT(raft_port, 0) << raft.stderr_text();
  EXPECT_EQ(RunShell(check + std::to_string(raft_port) + " 2>&1", &out), 0) << out;
}

TEST_F(RedisToolsTest, RedisCliTransactionsAnswerAsRedisDoes) {
  if (!HaveProgram("redis-cli")) GTEST_SKIP() << "redis-cli not installed";
  const std::string session = "printf 'MULTI\\nSET a 1\\nINCR a\\nSET a x y\\nEXEC\\nMULTI\\nSET a\\nEXEC\\n' | ";
  std::string out;
  RunShell(session + "redis-cli -p " + std::to_string(port_) + " 2>&1", &out);
  EXPECT_EQ(out,
            "OK\nQUEUED\nQUEUED\nQUEUED\nOK\n2\nERR syntax error\n\nOK\nERR wrong number of arguments for 'set' "
            "command\n\nEXECABORT Transaction discarded because of previous errors.\n\n");
}

}  // namespace
}  // namespace kvlab::real
