// The differential test against redis-server in CI (issue 12): starts a redis-server and a
// `kvlab node` (single, then raft) on 127.0.0.1 ports and runs tests/real/redis_diff_check.py
// over a few seeds; every reply, errors included, must be equal. Skipped with a message when
// redis-server or python3-redis is not installed. Bounded: 1000 commands per seed, three seeds (about a second each).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "tests/real/node_process.h"
#include "tests/real/ports.h"

namespace kvlab::real {
namespace {

using testing::CallUntilServed;
using testing::FreeBasePort;
using testing::HaveProgram;
using testing::NodeProcess;
using testing::RunShell;
using testing::TempDir;

// A redis-server child on `port` with no persistence, killed when this goes away.
class RedisServer {
 public:
  RedisServer(int port, const std::string& dir) : port_(port) {
    pid_ = fork();
    if (pid_ == 0) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      const std::string p = std::to_string(port);
      execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", dir.c_str(), "--daemonize", "no", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~RedisServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // True once it answers PING (bounded by the test helpers' deadline).
  bool Ready() {
    auto reply = CallUntilServed(port_, {"PING"});
    return reply && reply->str == "PONG";
  }
  int port() const { return port_; }

 private:
  int port_;
  pid_t pid_ = -1;
};

bool HavePythonRedis() { return RunShell("/usr/bin/python3 -c 'import redis' 2>/dev/null") == 0; }

std::string DiffCommand(int redis_port, int kvlab_port, int seed) {
  return "/usr/bin/python3 " KVLAB_SOURCE_DIR "/tests/real/redis_diff_check.py " + std::to_string(redis_port) + " " +
         std::to_string(kvlab_port) + " " + std::to_string(seed) + " 1000 2>&1";
}

class RedisDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveProgram("redis-server")) GTEST_SKIP() << "redis-server not installed: the differential test needs it";
    if (!HavePythonRedis()) GTEST_SKIP() << "python3-redis not installed";
    const int port = FreeBasePort(1);
    ASSERT_GT(port, 0);
    redis_ = std::make_unique<RedisServer>(port, dir_.path());
    ASSERT_TRUE(redis_->Ready()) << "redis-server did not start on port " << port;
  }

  void RunSeeds(int kvlab_port) {
    for (int seed : {1, 2, 3}) {
      std::string out;
      EXPECT_EQ(RunShell(DiffCommand(redis_->port(), kvlab_port, seed), &out), 0) << out;
    }
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisDiffTest, SingleAnswersAsRedisServer) {
  NodeProcess node(dir_.path() + "/single", {"--durability", "none"});
  const int port = node.WaitReady();
  ASSERT_GT(port, 0) << node.stderr_text();
  RunSeeds(port);
}

TEST_F(RedisDiffTest, RaftAnswersAsRedisServer) {
  NodeProcess node(dir_.path() + "/raft", {"--policy", "raft", "--durability", "none"});
  const int port = node.WaitReady();
  ASSERT_GT(port, 0) << node.stderr_text();
  ASSERT_TRUE(CallUntilServed(port, {"SET", "warmup", "1"}).has_value());  // a leader is elected
  RunSeeds(port);
}

}  // namespace
}  // namespace kvlab::real
