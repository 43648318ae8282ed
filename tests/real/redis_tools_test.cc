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

// Issue 12: redis-cli's keyspace tools walk SCAN cursors (and --bigkeys reads TYPE and STRLEN).
TEST_F(RedisToolsTest, RedisCliScanAndBigkeysWalkEveryKey) {
  if (!HaveProgram("redis-cli")) GTEST_SKIP() << "redis-cli not installed";
  std::string out;
  RunShell("for i in $(seq 1 500); do printf 'SET user:%d %d\\r\\n' $i $i; done | redis-cli -p " +
               std::to_string(port_) + " --pipe 2>&1",
           &out);
  EXPECT_EQ(Cli("SET biggest " + std::string(300, 'x')), "OK\n");
  EXPECT_EQ(Cli("SET order:1 a"), "OK\n");
  out.clear();
  RunShell("redis-cli -p " + std::to_string(port_) + " --scan | sort | uniq | wc -l", &out);
  EXPECT_EQ(out, "502\n");
  out.clear();
  RunShell("redis-cli -p " + std::to_string(port_) + " --scan --pattern 'user:1?' | sort", &out);
  std::string want;
  for (int i = 10; i <= 19; ++i) want += "user:" + std::to_string(i) + "\n";
  EXPECT_EQ(out, want);
  out.clear();
  EXPECT_EQ(RunShell("redis-cli -p " + std::to_string(port_) + " --bigkeys 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("Biggest string found"), std::string::npos) << out;
  EXPECT_NE(out.find("biggest"), std::string::npos) << out;
  EXPECT_NE(out.find("502 keys"), std::string::npos) << out;
}

TEST_F(RedisToolsTest, RedisCliExpiryAndKeyspaceCommands) {
  if (!HaveProgram("redis-cli")) GTEST_SKIP() << "redis-cli not installed";
  EXPECT_EQ(Cli("SET k v"), "OK\n");
  EXPECT_EQ(Cli("TTL k"), "-1\n");
  EXPECT_EQ(Cli("EXPIRE k 100"), "1\n");
  EXPECT_EQ(Cli("TTL k"), "100\n");
  EXPECT_EQ(Cli("PERSIST k"), "1\n");
  EXPECT_EQ(Cli("TYPE k"), "string\n");
  EXPECT_EQ(Cli("RENAME k k2"), "OK\n");
  EXPECT_EQ(Cli("COPY k2 k3"), "1\n");
  EXPECT_EQ(Cli("SET k3 w GET"), "v\n");
  EXPECT_EQ(Cli("KEYS 'k*'").size(), 6u);
  std::string listed;  // one table answers both
  RunShell("redis-cli -p " + std::to_string(port_) + " COMMAND LIST | wc -l", &listed);
  EXPECT_EQ(Cli("COMMAND COUNT"), listed);
  EXPECT_NE(Cli("COMMAND INFO get").find("readonly"), std::string::npos);
  EXPECT_NE(Cli("CLIENT LIST").find("id="), std::string::npos);
  EXPECT_EQ(Cli("CONFIG SET port 1"),
            "ERR CONFIG SET failed (possibly related to argument 'port') - kvlab cannot change "
            "it at run time (see kvlab node --help)\n\n");
  EXPECT_EQ(Cli("EVALSHA abc 0"), "ERR unknown command 'EVALSHA', with args beginning with: 'abc' '0' \n\n");
}

TEST_F(RedisToolsTest, PythonRedisInfoReportsMemoryCpuAndKeyspace) {
  if (RunShell("/usr/bin/python3 -c 'import redis' 2>/dev/null") != 0) GTEST_SKIP() << "python3-redis not installed";
  const std::string script =
      "import redis, sys\n"
      "r = redis.Redis(port=int(sys.argv[1]))\n"
      "r.set('a', 1, ex=100)\n"
      "r.set('b', 2)\n"
      "i = r.info()\n"
      "assert i['used_memory'] > 0, i\n"
      "assert i['used_memory_rss'] > 0, i\n"
      "assert 'used_cpu_user' in i, i\n"
      "assert i['role'] == 'master', i\n"
      "assert i['db0'] == {'keys': 2, 'expires': 1, 'avg_ttl': 0}, i['db0']\n"
      "c = r.info('commandstats')\n"
      "assert c['cmdstat_set']['calls'] >= 2 and 'cmdstat_decr' not in c, c\n"
      "assert r.config_resetstat() and set(r.info('commandstats')) <= {'cmdstat_config'}\n"
      "assert r.ttl('a') == 100 and r.type('a') == b'string' and r.strlen('a') == 1\n"
      "assert r.incrbyfloat('f', 0.5) == 0.5 and r.getdel('b') == b'2' and r.setnx('b', 3)\n"
      "assert sorted(r.scan_iter()) == [b'a', b'b', b'f'], sorted(r.scan_iter())\n"
      "assert r.object('encoding', 'a') == b'int' and r.memory_usage('a') > 0\n"
      "assert len(r.client_list()) >= 1 and r.time()[0] > 1600000000\n"
      "print('ok')\n";
  const std::string file = dir_.path() + "/info_check.py";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(script.c_str(), f);
  std::fclose(f);
  std::string out;
  EXPECT_EQ(RunShell("/usr/bin/python3 " + file + " " + std::to_string(port_) + " 2>&1", &out), 0) << out;
  EXPECT_EQ(out, "ok\n");
}

}  // namespace
}  // namespace kvlab::real
