// A real `kvlab node` process on 127.0.0.1, driven over TCP with a small RESP client.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using net::RespValue;
using testing::NodeProcess;
using testing::RespClient;
using testing::TempDir;

class NodeServerTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra = {}) {
    node_ = std::make_unique<NodeProcess>(dir_.path() + "/n1", extra);
    port_ = node_->WaitReady();
    ASSERT_GT(port_, 0) << node_->stderr_text();
  }
  std::string Str(RespClient& c, std::vector<std::string> args) {
    std::optional<RespValue> v = c.Call(args);
    if (!v) return "<no reply>";
    switch (v->type) {
      case RespValue::Type::kNil: return "<nil>";
      case RespValue::Type::kInteger: return std::to_string(v->integer);
      case RespValue::Type::kError: return "-" + v->str;
      case RespValue::Type::kArray: return "<array " + std::to_string(v->elements.size()) + ">";
      default: return v->str;
    }
  }

  TempDir dir_;
  std::unique_ptr<NodeProcess> node_;
  int port_ = 0;
};

TEST_F(NodeServerTest, ServesKeyValueAndServerCommands) {
  Start();
  RespClient c(port_);
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(Str(c, {"PING"}), "PONG");
  EXPECT_EQ(Str(c, {"ECHO", "hi"}), "hi");
  EXPECT_EQ(Str(c, {"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str(c, {"GET", "k"}), "v");
  EXPECT_EQ(Str(c, {"SET", "k", "w", "NX"}), "<nil>");
  EXPECT_EQ(Str(c, {"EXISTS", "k", "k", "zz"}), "2");
  EXPECT_EQ(Str(c, {"INCR", "n"}), "1");
  EXPECT_EQ(Str(c, {"INCR", "k"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Str(c, {"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Str(c, {"MGET", "a", "zz"}), "<array 2>");
  EXPECT_EQ(Str(c, {"DBSIZE"}), "4");
  EXPECT_EQ(Str(c, {"DEL", "a", "b", "zz"}), "2");
  EXPECT_EQ(Str(c, {"SELECT", "0"}), "OK");
  EXPECT_EQ(Str(c, {"SELECT", "1"}), "-ERR DB index is out of range");
  EXPECT_EQ(Str(c, {"HELLO", "3"}), "-NOPROTO unsupported protocol version");
  EXPECT_EQ(Str(c, {"HELLO", "2"}), "<array 14>");
  EXPECT_EQ(Str(c, {"CLIENT", "SETNAME", "me"}), "OK");
  EXPECT_EQ(Str(c, {"CLIENT", "GETNAME"}), "me");
  EXPECT_NE(Str(c, {"COMMAND", "DOCS"}), "<array 0>");  // the command table's docs (CommandTableTest).
  EXPECT_EQ(Str(c, {"CONFIG", "GET", "appendonly"}), "<array 2>");
  EXPECT_EQ(Str(c, {"GET"}), "-ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Str(c, {"NOSUCH", "x"}), "-ERR unknown command 'NOSUCH', with args beginning with: 'x' ");
  EXPECT_EQ(Str(c, {"FLUSHALL"}), "OK");
  EXPECT_EQ(Str(c, {"DBSIZE"}), "0");
  const std::string info = Str(c, {"INFO"});
  for (const char* section : {"# Server", "# Clients", "# Stats", "# Persistence", "# Replication", "# Keyspace"}) {
    EXPECT_NE(info.find(section), std::string::npos) << section;
  }
  EXPECT_NE(info.find("connected_clients:1"), std::string::npos);
}

TEST_F(NodeServerTest, PipelinedRepliesKeepRequestOrder) {
  Start();
  RespClient c(port_);
  std::string batch;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    batch += "*3\r\n$3\r\nSET\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) +
             "\r\n$1\r\nv\r\n";
    batch += "*2\r\n$4\r\nECHO\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  }
  ASSERT_TRUE(c.SendRaw(batch));
  for (int i = 0; i < n; ++i) {
    std::optional<RespValue> set = c.Receive(), echo = c.Receive();
    ASSERT_TRUE(set && echo);
    EXPECT_EQ(set->str, "OK");
    ASSERT_EQ(echo->str, std::to_string(i));
  }
}

TEST_F(NodeServerTest, RequirePassDemandsAuth) {
  Start({"--requirepass", "s3cret"});
  RespClient c(port_);
  EXPECT_EQ(Str(c, {"GET", "k"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(Str(c, {"AUTH", "wrong"}), "-WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Str(c, {"AUTH", "s3cret"}), "OK");
  EXPECT_EQ(Str(c, {"GET", "k"}), "<nil>");
}

TEST_F(NodeServerTest, MalformedClientsAreCutOffWhileOthersKeepWorking) {
  Start();
  RespClient good(port_);
  RespClient slowloris(port_);
  ASSERT_TRUE(slowloris.SendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk"));  // never finished.
  const std::vector<std::string> bad_inputs = {
      "*1\r\n$-5\r\n",                        // negative bulk length
      "*2\r\n$3\r\nGET\r\n$99999999999\r\n",  // huge declared length
      "*99999999999\r\n",                     // huge multibulk count
      "*1\r\n:5\r\n",                         // not a bulk
      "SET a \"unbalanced\r\n",               // inline quoting
      std::string(70 * 1024, 'x'),            // overlong inline request
  };
  for (const std::string& bad : bad_inputs) {
    RespClient c(port_);
    ASSERT_TRUE(c.SendRaw(bad));
    std::optional<RespValue> v = c.Receive();
    ASSERT_TRUE(v.has_value()) << bad.substr(0, 40);
    EXPECT_EQ(v->str.rfind("ERR Protocol error: ", 0), 0u) << v->str;
    EXPECT_TRUE(c.ClosedByServer()) << bad.substr(0, 40);
    EXPECT_EQ(Str(good, {"PING"}), "PONG");
  }
  {
    RespClient truncated(port_);  // a frame cut short, then the client goes away.
    ASSERT_TRUE(truncated.SendRaw("*2\r\n$3\r\nGET\r\n$10\r\nabc"));
  }
  RespClient garbage(port_);
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 7919) % 251));
  garbage.SendRaw(noise);
  EXPECT_EQ(Str(good, {"SET", "still", "alive"}), "OK");
  EXPECT_EQ(Str(good, {"GET", "still"}), "alive");
  ASSERT_TRUE(slowloris.SendRaw("\r\n$1\r\nv\r\n"));  // the slow client finishes, unharmed.
  std::optional<RespValue> v = slowloris.Receive();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->str, "OK");
}

TEST_F(NodeServerTest, ServesAThousandConcurrentConnections) {
  testing::RaiseOwnFileLimit();
  Start();
  std::vector<std::unique_ptr<RespClient>> clients;
  for (int i = 0; i < 1000; ++i) {
    clients.push_back(std::make_unique<RespClient>(port_));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(clients[i]->Send({"SET", "key" + std::to_string(i), std::to_string(i)}));
  }
  for (int i = 0; i < 1000; ++i) {
    std::optional<RespValue> v = clients[i]->Receive();
    ASSERT_TRUE(v.has_value()) << i;
    ASSERT_EQ(v->str, "OK");
  }
  EXPECT_EQ(Str(*clients[0], {"DBSIZE"}), "1000");
  EXPECT_EQ(Str(*clients[999], {"GET", "key5"}), "5");
}

TEST_F(NodeServerTest, BinaryKeysAndLargeValuesRoundTrip) {
  Start();
  RespClient c(port_);
  const std::string key("k\0\r\n\xff", 5);
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 31);
  EXPECT_EQ(Str(c, {"SET", key, value}), "OK");
  std::optional<RespValue> got = c.Call({"GET", key});
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->str == value);
}

TEST_F(NodeServerTest, ShutdownCommandAndSigtermExitCleanly) {
  Start();
  {
    RespClient c(port_);
    c.Send({"SHUTDOWN"});
    EXPECT_TRUE(c.ClosedByServer());
  }
  EXPECT_EQ(node_->WaitExit(), 0);
  Start();
  node_->Signal(SIGTERM);
  EXPECT_EQ(node_->WaitExit(), 0);
}

TEST_F(NodeServerTest, BadFlagsExitWithUsageError) {
  NodeProcess bad(dir_.path() + "/x", {"--durability", "sometimes"});
  EXPECT_EQ(bad.WaitExit(), 2);
  NodeProcess policy(dir_.path() + "/y", {"--policy", "nope"});
  EXPECT_EQ(policy.WaitExit(), 2);
  EXPECT_NE(policy.stderr_text().find("nope"), std::string::npos) << policy.stderr_text();
}

}  // namespace
}  // namespace kvlab::real
