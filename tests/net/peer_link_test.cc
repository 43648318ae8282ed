// PeerLink on 127.0.0.1: several links on one event loop, talking over real TCP. Every wait runs
// loop turns until a condition holds or a deadline passes; nothing sleeps blindly.
#include "net/peer_link.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/message.h"
#include "net/limits.h"
#include "net/tcp.h"

namespace kvlab::net {
namespace {

core::Message Request(core::NodeId from, core::NodeId to, uint64_t id, std::string value = "v") {
  return core::Message{core::MessageType::kForwardRequest, from, to,
                       core::ClientRequest{id, core::Command::Put("k", std::move(value))}};
}

uint64_t RequestId(const core::Message& m) { return std::get<core::ClientRequest>(m.body).request_id; }

// A free port on 127.0.0.1 (bound, read, released).
int FreePort() {
  absl::StatusOr<Listening> l = ListenTcp("127.0.0.1", 0);
  KV_ASSERT(l.ok());
  close(l->fd);
  return l->port;
}

class PeerLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok());
    loop_ = *std::move(loop);
    loop_->AddEndOfTurnHook([this] {
      for (auto& link : links_) {
        if (link) link->Flush();
      }
    });
  }

  // Starts node `id` listening on `port` (0: any); its received messages go to inbox(id).
  PeerLink* StartNode(core::NodeId id, int port = 0) {
    inbox_.resize(std::max<size_t>(inbox_.size(), id + 1));
    links_.resize(std::max<size_t>(links_.size(), id + 1));
    absl::StatusOr<std::unique_ptr<PeerLink>> link =
        PeerLink::Start(*loop_, id, {"127.0.0.1", port}, [this, id](core::Message m) { inbox_[id].push_back(m); });
    KV_ASSERT(link.ok());
    links_[id] = *std::move(link);
    return links_[id].get();
  }
  void StopNode(core::NodeId id) { links_[id].reset(); }
  void Connect(core::NodeId a, core::NodeId b) {
    links_[a]->AddPeer(b, {"127.0.0.1", links_[b]->port()});
    links_[b]->AddPeer(a, {"127.0.0.1", links_[a]->port()});
  }

  // Runs turns until `done` or 10 s pass; returns done().
  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      loop_->AddTimer(core::Millis(5), [] {});  // bounds each turn's wait.
      loop_->RunOnce();
    }
    return done();
  }

  std::vector<core::Message>& inbox(core::NodeId id) { return inbox_[id]; }
  PeerLink& link(core::NodeId id) { return *links_[id]; }

  std::unique_ptr<EventLoop> loop_;
  std::vector<std::unique_ptr<PeerLink>> links_;
  std::vector<std::vector<core::Message>> inbox_;
};

// A raw TCP client (blocking, with a receive timeout) for feeding bytes to a peer port.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{0, 1000};  // 1 ms: Closed() polls while the loop runs.
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // True once the other side closed the connection.
  bool Closed() {
    char c;
    const ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(PeerLinkTest, DeliversMessagesBothWaysInOrder) {
  StartNode(1);
  StartNode(2);
  Connect(1, 2);
  for (uint64_t i = 0; i < 200; ++i) link(1).Send(2, Request(1, 2, i));
  link(2).Send(1, Request(2, 1, 7));
  ASSERT_TRUE(RunUntil([&] { return inbox(2).size() == 200 && inbox(1).size() == 1; }));
  for (uint64_t i = 0; i < 200; ++i) {
    EXPECT_EQ(inbox(2)[i], Request(1, 2, i));
  }
  EXPECT_EQ(inbox(1)[0], Request(2, 1, 7));
  EXPECT_EQ(link(2).stats().messages_received, 200u);
  EXPECT_EQ(link(1).stats().messages_sent, 200u);
  EXPECT_EQ(link(1).stats().connects, 1u);
}

TEST_F(PeerLinkTest, ThreeNodesEachReachEveryOther) {
  for (core::NodeId id = 1; id <= 3; ++id) StartNode(id);
  Connect(1, 2);
  Connect(1, 3);
  Connect(2, 3);
  for (core::NodeId from = 1; from <= 3; ++from) {
    for (core::NodeId to = 1; to <= 3; ++to) {
      if (from != to) link(from).Send(to, Request(from, to, from * 10 + to));
    }
  }
  ASSERT_TRUE(RunUntil([&] { return inbox(1).size() == 2 && inbox(2).size() == 2 && inbox(3).size() == 2; }));
  for (core::NodeId to = 1; to <= 3; ++to) {
    for (const core::Message& m : inbox(to)) {
      EXPECT_EQ(m.to, to);
      EXPECT_EQ(RequestId(m), m.from * 10 + to);
    }
  }
}

TEST_F(PeerLinkTest, LargeMessageArrivesWhole) {
  StartNode(1);
  StartNode(2);
  Connect(1, 2);
  const std::string big(3 * 1024 * 1024 + 17, 'x');
  link(1).Send(2, Request(1, 2, 1, big));
  link(1).Send(2, Request(1, 2, 2));
  ASSERT_TRUE(RunUntil([&] { return inbox(2).size() == 2; }));
  EXPECT_EQ(inbox(2)[0], Request(1, 2, 1, big));
  EXPECT_EQ(RequestId(inbox(2)[1]), 2u);
}

TEST_F(PeerLinkTest, SelfAddressedMessageIsDeliveredInALaterTurn) {
  StartNode(1);
  link(1).Send(1, Request(1, 1, 5));
  EXPECT_TRUE(inbox(1).empty());  // never re-entrant.
  ASSERT_TRUE(RunUntil([&] { return inbox(1).size() == 1; }));
  EXPECT_EQ(RequestId(inbox(1)[0]), 5u);
}

TEST_F(PeerLinkTest, MessageToUnknownPeerIsDroppedAndCounted) {
  StartNode(1);
  link(1).Send(9, Request(1, 9, 1));
  EXPECT_EQ(link(1).stats().messages_dropped, 1u);
  EXPECT_EQ(link(1).stats().messages_sent, 0u);
}

TEST_F(PeerLinkTest, QueuesWhilePeerIsDownAndDeliversOnceItListens) {
  const int port2 = FreePort();
  StartNode(1);
  link(1).AddPeer(2, {"127.0.0.1", port2});
  for (uint64_t i = 0; i < 3; ++i) link(1).Send(2, Request(1, 2, i));
  ASSERT_TRUE(RunUntil([&] { return link(1).stats().disconnects >= 2; }));  // refused, re-dialled, refused.
  EXPECT_FALSE(link(1).Connected(2));
  EXPECT_GT(link(1).QueuedBytes(2), 0u);
  StartNode(2, port2);
  ASSERT_TRUE(RunUntil([&] { return inbox(2).size() == 3; }));
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(RequestId(inbox(2)[i]), i);
  EXPECT_TRUE(link(1).Connected(2));
  EXPECT_EQ(link(1).QueuedBytes(2), 0u);
}

TEST_F(PeerLinkTest, ReconnectsAfterPeerRestart) {
  StartNode(1);
  const int port2 = StartNode(2)->port();
  Connect(1, 2);
  link(1).Send(2, Request(1, 2, 1));
  ASSERT_TRUE(RunUntil([&] { return inbox(2).size() == 1; }));

  StopNode(2);
  ASSERT_TRUE(RunUntil([&] { return !link(1).Connected(2); }));
  link(1).Send(2, Request(1, 2, 2));
  StartNode(2, port2);
  link(2).AddPeer(1, {"127.0.0.1", link(1).port()});
  link(2).Send(1, Request(2, 1, 3));
  ASSERT_TRUE(RunUntil([&] { return inbox(2).size() == 2 && inbox(1).size() == 1; }));
  EXPECT_EQ(RequestId(inbox(2)[1]), 2u);
  EXPECT_EQ(link(1).stats().connects, 2u);
}

TEST_F(PeerLinkTest, QueueForADownPeerIsBoundedDroppingNewest) {
  StartNode(1);
  link(1).AddPeer(2, {"127.0.0.1", FreePort()});
  const std::string mib(1024 * 1024, 'v');
  const size_t count = kMaxPeerQueueBytes / mib.size() + 4;
  for (uint64_t i = 0; i < count; ++i) link(1).Send(2, Request(1, 2, i, mib));
  EXPECT_LE(link(1).QueuedBytes(2), kMaxPeerQueueBytes);
  EXPECT_GE(link(1).stats().messages_dropped, 4u);
  EXPECT_EQ(link(1).stats().messages_sent + link(1).stats().messages_dropped, count);
}

TEST_F(PeerLinkTest, GarbageOnPeerPortClosesOnlyThatConnection) {
  StartNode(1);
  StartNode(2);
  Connect(1, 2);
  RawClient garbage(link(1).port());
  ASSERT_TRUE(garbage.connected());
  ASSERT_TRUE(garbage.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));  // "GET " reads as a 542 MB frame.
  ASSERT_TRUE(RunUntil([&] { return link(1).stats().bad_frames == 1; }));
  EXPECT_TRUE(RunUntil([&] { return garbage.Closed(); }));

  link(2).Send(1, Request(2, 1, 1));
  ASSERT_TRUE(RunUntil([&] { return inbox(1).size() == 1; }));
  EXPECT_EQ(link(1).inbound_connections(), 1u);  // node 2's link only.
}

TEST_F(PeerLinkTest, OverlongDeclaredLengthClosesTheConnection) {
  StartNode(1);
  RawClient client(link(1).port());
  ASSERT_TRUE(client.Send("hello\r\n"));  // "hell" declares 1.8 GB, above kMaxMessageBytes.
  ASSERT_TRUE(RunUntil([&] { return link(1).stats().bad_frames == 1; }));
  EXPECT_TRUE(RunUntil([&] { return client.Closed(); }));
}

TEST_F(PeerLinkTest, CorruptFrameClosesTheConnection) {
  StartNode(1);
  std::string frame = core::EncodeMessage(Request(2, 1, 1));
  frame.back() ^= 0x40;  // checksum mismatch.
  RawClient client(link(1).port());
  ASSERT_TRUE(client.Send(frame));
  ASSERT_TRUE(RunUntil([&] { return link(1).stats().bad_frames == 1; }));
  EXPECT_TRUE(RunUntil([&] { return client.Closed(); }));
  EXPECT_TRUE(inbox(1).empty());
}

TEST_F(PeerLinkTest, MessageAddressedToAnotherNodeClosesTheConnection) {
  StartNode(1);
  RawClient client(link(1).port());
  ASSERT_TRUE(client.Send(core::EncodeMessage(Request(2, 1, 1)) + core::EncodeMessage(Request(2, 3, 2))));
  ASSERT_TRUE(RunUntil([&] { return link(1).stats().bad_frames == 1; }));
  ASSERT_EQ(inbox(1).size(), 1u);  // the first, well-addressed frame was delivered.
  EXPECT_EQ(RequestId(inbox(1)[0]), 1u);
  EXPECT_TRUE(RunUntil([&] { return client.Closed(); }));
}

TEST_F(PeerLinkTest, FrameSplitAcrossReadsIsReassembled) {
  StartNode(1);
  const std::string frame = core::EncodeMessage(Request(2, 1, 4));
  RawClient client(link(1).port());
  ASSERT_TRUE(client.Send(frame.substr(0, 3)));
  ASSERT_TRUE(RunUntil([&] { return link(1).inbound_connections() == 1; }));
  for (int i = 0; i < 5; ++i) loop_->Post([] {}), loop_->RunOnce();
  EXPECT_TRUE(inbox(1).empty());
  ASSERT_TRUE(client.Send(frame.substr(3)));
  ASSERT_TRUE(RunUntil([&] { return inbox(1).size() == 1; }));
  EXPECT_EQ(RequestId(inbox(1)[0]), 4u);
}

// A peer whose process goes away closes its connections: the link says so (Node::OnPeerLost's
// source), once the connection breaks, while a peer that is merely slow says nothing.
TEST_F(PeerLinkTest, ReportsAPeerThatClosedItsConnections) {
  StartNode(1);
  StartNode(2);
  std::vector<core::NodeId> closed;
  link(1).set_on_peer_closed([&](core::NodeId peer) { closed.push_back(peer); });
  Connect(1, 2);
  link(1).Send(2, Request(1, 2, 1));
  ASSERT_TRUE(RunUntil([&] { return inbox(2).size() == 1; }));
  EXPECT_TRUE(closed.empty());
  StopNode(2);  // closes its listening socket and every connection, as a killed process's kernel does.
  ASSERT_TRUE(RunUntil([&] { return !closed.empty(); }));
  EXPECT_EQ(closed.front(), 2u);
}

}  // namespace
}  // namespace kvlab::net
