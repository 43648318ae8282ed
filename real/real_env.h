// core::Env for the real world: the event loop's clock and timers, a POSIX Disk, a seeded Rng,
// replies routed to the RESP server and messages to the peer transport.
//
// Clock: CLOCK_MONOTONIC, offset once at start-up so that it reads as Unix time. It never goes
// back within a process, and expiry times written to the WAL (absolute, in this clock) keep their
// meaning across restarts and reboots, as Redis's do.
#pragma once

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "core/env.h"
#include "core/policy/node.h"
#include "net/event_loop.h"

namespace kvlab::real {

class RealEnv final : public core::Env {
 public:
  using ReplySink = absl::AnyInvocable<void(core::ReplyHandle, const core::ClientReply&)>;
  using SendSink = absl::AnyInvocable<void(core::NodeId, core::Message)>;

  RealEnv(core::NodeId self, net::EventLoop& loop, core::Disk& disk, uint64_t rng_seed);

  // REQUIRES: called before the node starts. Timers fire into `node`.
  void set_node(core::Node* node) { node_ = node; }
  void set_reply_sink(ReplySink sink) { reply_ = std::move(sink); }
  // Without a send sink (a one-node cluster), messages are dropped and counted.
  void set_send_sink(SendSink sink) { send_ = std::move(sink); }

  core::NodeId self() const override { return self_; }
  core::Nanos Now() override;
  void Send(core::NodeId to, core::Message msg) override;
  void SetTimer(core::Nanos delay, core::TimerToken token) override;
  void Reply(core::ReplyHandle handle, core::ClientReply reply) override;
  core::Disk& disk() override { return disk_; }
  core::Rng& rng() override { return rng_; }

  uint64_t dropped_messages() const { return dropped_messages_; }

 private:
  const core::NodeId self_;
  net::EventLoop& loop_;
  core::Disk& disk_;
  core::Rng rng_;
  const core::Nanos clock_offset_;
  core::Node* node_ = nullptr;
  ReplySink reply_;
  SendSink send_;
  uint64_t dropped_messages_ = 0;
};

// Unix time in ns minus CLOCK_MONOTONIC in ns, read once.
core::Nanos UnixClockOffset();

}  // namespace kvlab::real
