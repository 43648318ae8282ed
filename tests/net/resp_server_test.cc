#include "net/resp_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "net/resp_reply.h"
#include "net/resp_writer.h"

namespace kvlab::net {
namespace {

// Answers PING at once; holds LATER requests and answers them in reverse order at the end of the
// turn (like a node releasing replies after its group-commit fsync, in any order).
class TestHandler : public RespHandler {
 public:
  void OnRequest(RespConnection& conn, ReplyToken token, std::vector<std::string>& args) override {
    if (args[0] == "LATER") {
      held.emplace_back(token, args.size() > 1 ? args[1] : "");
      return;
    }
    if (args[0] == "QUIT") conn.CloseAfterReplies();
    server->Reply(token, [](std::string* out) { AppendSimpleString(out, "PONG"); });
  }
  void EndTurn() {
    std::reverse(held.begin(), held.end());
    for (auto& held_reply : held) {
      const std::string& v = held_reply.second;
      server->Reply(held_reply.first, [&](std::string* out) { AppendBulk(out, v); });
    }
    held.clear();
  }
  RespServer* server = nullptr;
  std::vector<std::pair<ReplyToken, std::string>> held;
};

class RespServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = *EventLoop::Create();
    server_ = *RespServer::Start(*loop_, handler_, RespServerOptions{});
    handler_.server = server_.get();
    loop_->AddEndOfTurnHook([this] {
      handler_.EndTurn();
      server_->Flush();
    });
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
  }

  // One loop turn that returns within a millisecond even when nothing is ready.
  void Turn() {
    loop_->AddTimer(core::Millis(1), [] {});
    loop_->RunOnce();
  }

  int Connect() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{5, 0};  // a bound on every blocking read: a bug fails the test instead of hanging.
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    fds_.push_back(fd);
    Turn();  // accept
    return fd;
  }

  void Send(int fd, std::string_view bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }

  // Runs turns until `n` replies arrived on fd (or EOF).
  std::vector<RespValue> Receive(int fd, size_t n, bool* eof = nullptr) {
    std::vector<RespValue> got;
    std::string buf;
    while (got.size() < n) {
      Turn();
      char chunk[4096];
      const ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
      if (r <= 0) {
        if (eof) *eof = true;
        break;
      }
      buf.append(chunk, static_cast<size_t>(r));
      for (;;) {
        RespValue v;
        size_t used = 0;
        if (!ParseReply(buf, &used, &v).ok() || used == 0) break;
        buf.erase(0, used);
        got.push_back(v);
      }
    }
    return got;
  }

  TestHandler handler_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<RespServer> server_;
  std::vector<int> fds_;
};

TEST_F(RespServerTest, RepliesToPipelinedRequestsInRequestOrder) {
  const int fd = Connect();
  Send(fd, "*2\r\n$5\r\nLATER\r\n$1\r\na\r\nPING\r\nLATER b\r\nLATER c\r\nPING\r\n");
  std::vector<RespValue> got = Receive(fd, 5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].str, "a");
  EXPECT_EQ(got[1].str, "PONG");
  EXPECT_EQ(got[2].str, "b");
  EXPECT_EQ(got[3].str, "c");
  EXPECT_EQ(got[4].str, "PONG");
  EXPECT_EQ(server_->stats().total_commands_processed, 5u);
}

TEST_F(RespServerTest, ProtocolErrorClosesOnlyThatConnection) {
  const int bad = Connect();
  const int good = Connect();
  Send(bad, "PING\r\n*1\r\n$-9\r\n");
  bool eof = false;
  std::vector<RespValue> got = Receive(bad, 3, &eof);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].str, "PONG");
  EXPECT_EQ(got[1].str, "ERR Protocol error: invalid bulk length");
  EXPECT_TRUE(eof);
  Send(good, "PING\r\n");
  ASSERT_EQ(Receive(good, 1).size(), 1u);
  EXPECT_EQ(server_->connected_clients(), 1u);
}

TEST_F(RespServerTest, QuitAnswersThenCloses) {
  const int fd = Connect();
  Send(fd, "QUIT\r\nPING\r\n");
  bool eof = false;
  std::vector<RespValue> got = Receive(fd, 2, &eof);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_TRUE(eof);
}

TEST_F(RespServerTest, HalfClosedClientStillGetsItsReplies) {
  const int fd = Connect();
  Send(fd, "LATER x\r\nPING\r\n");
  shutdown(fd, SHUT_WR);
  std::vector<RespValue> got = Receive(fd, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].str, "x");
}

TEST_F(RespServerTest, ReplyToAClosedConnectionIsDropped) {
  const int fd = Connect();
  Send(fd, "*1\r\n$5\r\nLATER\r\n");
  Turn();  // read: the request is held until the end of the next turn's hook...
  EXPECT_FALSE(server_->Reply(ReplyToken{999} << 32, [](std::string*) { FAIL(); }));
}

TEST_F(RespServerTest, ManyPipelinedRequestsBeyondTheInflightLimitAllGetReplies) {
  const int fd = Connect();
  const size_t n = kMaxInflightPerConnection * 2 + 5;
  std::string batch;
  for (size_t i = 0; i < n; ++i) batch += "PING\r\n";
  // Write from a non-blocking loop so a full socket buffer does not block the single thread.
  size_t sent = 0;
  std::string buf;
  size_t replies = 0;
  while (replies < n) {
    if (sent < batch.size()) {
      const ssize_t w = send(fd, batch.data() + sent, batch.size() - sent, MSG_DONTWAIT);
      if (w > 0) sent += static_cast<size_t>(w);
    }
    Turn();
    char chunk[65536];
    const ssize_t r = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (r > 0) buf.append(chunk, static_cast<size_t>(r));
    for (size_t p; (p = buf.find("+PONG\r\n")) == 0;) {
      buf.erase(0, 7);
      ++replies;
    }
  }
  EXPECT_EQ(replies, n);
}

}  // namespace
}  // namespace kvlab::net
