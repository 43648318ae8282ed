// RealEnv: the Env of a real node.
#include "real/real_env.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/event_loop.h"
#include "tests/support/mem_disk.h"

namespace kvlab::real {
namespace {

// abd and quorum send frames without sender and receiver ids; the simulator stamps them, and the
// real runtime must too, or the receiving peer link refuses the frame ("message for node 0 from
// node 0") and every request of those policies times out on a real cluster.
TEST(RealEnvTest, SendStampsTheSenderAndTheReceiver) {
  auto loop = net::EventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  core::MemDisk disk;
  RealEnv env(2, **loop, disk, 1);
  std::vector<std::pair<core::NodeId, core::Message>> sent;
  env.set_send_sink([&](core::NodeId to, core::Message m) { sent.emplace_back(to, std::move(m)); });
  core::Message m;
  m.type = core::MessageType::kPeer;
  env.Send(3, std::move(m));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, 3u);
  EXPECT_EQ(sent[0].second.from, 2u);
  EXPECT_EQ(sent[0].second.to, 3u);
}

}  // namespace
}  // namespace kvlab::real
