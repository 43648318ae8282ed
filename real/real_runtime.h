// The real world's implementation of workloads::Runtime: workload fibers scheduled on a
// net::EventLoop in one thread. Now() is the monotonic clock; SleepUntil is a loop timer plus a
// park; Wake posts the fiber's resumption to the loop. Clients are RespClients (real/resp_client.h)
// over non-blocking TCP, spread round-robin over the targets.
//
// Every fiber runs only from a task the runtime posted or a timer it set, never from inside an fd
// callback, so a fiber may destroy its own client (and its watch) at any point.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/types.h"
#include "net/event_loop.h"
#include "workloads/fiber.h"
#include "workloads/fiber_set.h"
#include "workloads/runtime.h"

namespace kvlab::real {

class RespClient;

struct Target {
  std::string host;
  int port = 0;
  bool operator==(const Target&) const = default;
};
std::string FormatTarget(const Target& t);

// "HOST:PORT[,HOST:PORT...]" -> targets. kInvalidArgument names the bad entry.
absl::StatusOr<std::vector<Target>> ParseTargets(const std::string& text);

// How every client connection is set up (kvlab bench --password, --key-prefix).
struct ConnectionOptions {
  std::string password;    // non-empty: AUTH with it first on every connection.
  std::string key_prefix;  // prepended to every key a client sends (a run never touches other keys).
};

class RealRuntime final : public workloads::Runtime {
 public:
  // REQUIRES: !targets.empty(). `request_timeout` bounds every client call (connect included).
  static absl::StatusOr<std::unique_ptr<RealRuntime>> Create(std::vector<Target> targets, core::Nanos request_timeout);
  ~RealRuntime() override;

  core::Nanos Now() override { return net::EventLoop::MonotonicNow(); }
  void SleepUntil(core::Nanos deadline) override;
  void Spawn(std::function<void()> body) override;
  // Fiber `index` starts on target index % targets (and fails over to the next ones). Takes a
  // pre-opened connection to that target if one is left (see Preconnect), else connects lazily.
  std::unique_ptr<workloads::Client> Connect(int index) override;

  // Opens `count` connections ahead of the run (connection i to target i % targets) and waits
  // until each has answered a PING or failed, at most `timeout`: so a run with 1000 clients
  // measures requests, not the servers' TCP accept queues and connection set-up. REQUIRES: not called from a fiber.
  void Preconnect(int count, core::Nanos timeout);
  void Park() override;
  void Wake(workloads::Fiber* fiber) override;

  // Runs loop turns until `done()` holds or the monotonic clock passes `deadline`.
  // kDeadlineExceeded in the latter case.
  absl::Status RunUntil(const std::function<bool()>& done, core::Nanos deadline);

  bool AllFinished() const { return fibers_.AllFinished(); }
  net::EventLoop& loop() { return *loop_; }
  const std::vector<Target>& targets() const { return targets_; }
  // REQUIRES: before the first client connects (Preconnect, Connect).
  void set_connection_options(ConnectionOptions options) { connection_ = std::move(options); }
  const ConnectionOptions& connection_options() const { return connection_; }
  core::Nanos request_timeout() const { return request_timeout_; }

 private:
  RealRuntime(std::unique_ptr<net::EventLoop> loop, std::vector<Target> targets, core::Nanos timeout);
  void ScheduleWake(uint64_t id, core::Nanos at);

  std::unique_ptr<net::EventLoop> loop_;
  std::vector<Target> targets_;
  core::Nanos request_timeout_;
  ConnectionOptions connection_;
  workloads::FiberSet fibers_;
  std::vector<std::deque<std::unique_ptr<RespClient>>> idle_;  // pre-opened, per target.
};

}  // namespace kvlab::real
