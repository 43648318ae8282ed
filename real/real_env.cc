#include "real/real_env.h"

#include <time.h>

#include "core/assert.h"

namespace kvlab::real {

core::Nanos UnixClockOffset() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const core::Nanos unix_ns = static_cast<core::Nanos>(ts.tv_sec) * core::kNanosPerSecond + ts.tv_nsec;
  return unix_ns - net::EventLoop::MonotonicNow();
}

RealEnv::RealEnv(core::NodeId self, net::EventLoop& loop, core::Disk& disk, uint64_t rng_seed)
    : self_(self), loop_(loop), disk_(disk), rng_(rng_seed), clock_offset_(UnixClockOffset()) {}

// The turn's cached clock: every request of a turn sees the same time, read once per turn.
core::Nanos RealEnv::Now() { return loop_.TurnNow() + clock_offset_; }

// The runtime stamps the frame's sender and receiver, as the simulator does: a policy may leave
// them unset (the peer link refuses a frame whose ids do not match the connection).
void RealEnv::Send(core::NodeId to, core::Message msg) {
  msg.from = self_;
  msg.to = to;
  if (!send_) {
    ++dropped_messages_;
    return;
  }
  send_(to, std::move(msg));
}

void RealEnv::SetTimer(core::Nanos delay, core::TimerToken token) {
  KV_ASSERT(node_ != nullptr);
  core::Node* node = node_;
  loop_.AddTimer(delay < 0 ? 0 : delay, [node, token] { node->OnTimer(token); });
}

void RealEnv::Reply(core::ReplyHandle handle, core::ClientReply reply) {
  KV_ASSERT(reply_);
  reply_(handle, reply);
}

}  // namespace kvlab::real
