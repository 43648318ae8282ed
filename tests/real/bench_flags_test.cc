// `kvlab bench` flags for real servers, through the binary against a kvlab node: host names,
// --password, --key-prefix and --rate (open loop).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::NodeProcess;
using testing::RespClient;
using testing::RunShell;
using testing::TempDir;

// `kvlab bench --target TARGET ARGS`, output (stdout and stderr) in *out; the exit code.
int Bench(const std::string& target, const std::string& args, std::string* out) {
  out->clear();
  return RunShell(absl::StrCat(KVLAB_BINARY, " bench --target ", target, " ", args, " 2>&1"), out);
}

// This machine's name, if it resolves to a loopback address (where a test node listens).
std::string LoopbackHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &found) != 0 || found == nullptr) return "";
  const uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr.s_addr);
  freeaddrinfo(found);
  return (ip >> 24) == 127 ? std::string(name) : "";
}

class BenchFlagsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--durability", "none"});
    node_ = std::make_unique<NodeProcess>(dir_.path(), extra);
    port_ = node_->WaitReady();
    ASSERT_GT(port_, 0) << node_->stderr_text();
  }
  std::string Local() const { return absl::StrCat("127.0.0.1:", port_); }

  TempDir dir_;
  std::unique_ptr<NodeProcess> node_;
  int port_ = 0;
};

TEST_F(BenchFlagsTest, HostNamesResolveAndUnknownOnesAreBadInput) {
  Start();
  std::string out;
  EXPECT_EQ(Bench(absl::StrCat("localhost:", port_), "--scenario latency --ops 20", &out), 0) << out;
  const std::string host = LoopbackHostName();
  if (!host.empty()) {
    EXPECT_EQ(Bench(absl::StrCat(host, ":", port_), "--scenario latency --ops 20", &out), 0) << out;
  }
  EXPECT_EQ(Bench(absl::StrCat("no-such-host.invalid:", port_), "--scenario latency --ops 20", &out), 2) << out;
  EXPECT_NE(out.find("cannot resolve 'no-such-host.invalid'"), std::string::npos) << out;
  if (host.empty()) GTEST_SKIP() << "this machine's name does not resolve to a loopback address";
}

TEST_F(BenchFlagsTest, PasswordAuthsEveryConnectionBeforeTheRun) {
  Start({"--requirepass", "sekret"});
  std::string out;
  EXPECT_EQ(Bench(Local(), "--scenario mixed --ops 200", &out), 2) << out;
  EXPECT_NE(out.find("NOAUTH"), std::string::npos) << out;
  EXPECT_EQ(Bench(Local(), "--scenario mixed --ops 200 --password wrong", &out), 2) << out;
  EXPECT_NE(out.find("AUTH failed"), std::string::npos) << out;
  EXPECT_EQ(Bench(Local(), "--scenario mixed --ops 200 --clients 8 --password sekret", &out), 0) << out;
  EXPECT_NE(out.find("check linearizable: OK"), std::string::npos) << out;
}

TEST_F(BenchFlagsTest, KeyPrefixLeavesEveryOtherKeyAlone) {
  Start();
  RespClient client(port_);
  ASSERT_EQ(client.Call({"SET", "k1", "mine"})->str, "OK");  // a key the workload names k1 too.
  std::string out;
  EXPECT_EQ(Bench(Local(), "--scenario mixed --ops 300 --key-prefix run1:", &out), 0) << out;
  EXPECT_EQ(client.Call({"GET", "k1"})->str, "mine");
  EXPECT_GT(client.Call({"DBSIZE"})->integer, 1);
  EXPECT_EQ(client.Call({"EXISTS", "run1:k1"})->integer, 1);
  EXPECT_EQ(Bench(Local(), "--scenario mixed --ops 300 --key-prefix run2: --flush", &out), 2) << out;
  EXPECT_NE(out.find("--flush empties the whole server"), std::string::npos) << out;
  EXPECT_EQ(client.Call({"GET", "k1"})->str, "mine");
}

// Open loop: requests start on a fixed schedule, so a 500 ms run at 100 ops/s issues exactly 50
// (a closed loop would issue as many as the node answers).
TEST_F(BenchFlagsTest, RateRunsAnOpenLoopOnItsSchedule) {
  Start();
  const std::string json = dir_.path() + "/rate.json";
  std::string out;
  ASSERT_EQ(Bench(Local(), "--scenario latency --ops 0 --duration 500ms --rate 100 --json " + json, &out), 0) << out;
  std::ifstream in(json);
  const nlohmann::json report = nlohmann::json::parse(in);
  EXPECT_EQ(report["ops"].get<uint64_t>(), 50u) << report.dump();
}

}  // namespace
}  // namespace kvlab::real
