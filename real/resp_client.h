// A workload client over one non-blocking TCP connection speaking RESP2, for any Redis-protocol
// server (a kvlab node, redis-server, ...). Execute() sends one command and parks the calling fiber
// until the reply or the runtime's request timeout; the event loop resumes it.
//
// Outcomes (workloads/client.h): a reply -> kOk; -TRYAGAIN, -BUSY, any other error reply and a
// refused or timed-out connect -> kFail (the command was not applied); -UNKNOWN, a timeout after
// the request was sent and a connection dropped mid-request -> kUnknown. After a timeout or a lost
// connection the connection is closed (RESP has no request ids, so a late reply could otherwise be
// taken for the next request's) and the next call reconnects, to the next target when there are
// several (failover). With a password (ConnectionOptions), AUTH goes first on every connection;
// a refused AUTH drops the connection and the call is kUnknown (the command was pipelined behind it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/kv/command.h"
#include "net/resp_reply.h"
#include "workloads/client.h"

namespace kvlab::real {

class RealRuntime;

// Limits of the workload client.
inline constexpr size_t kMaxTargets = 64;
// A reply larger than this is refused (the connection is dropped and the call is kUnknown).
inline constexpr size_t kMaxClientReplyBytes = 64ull * 1024 * 1024;
inline constexpr size_t kClientReadChunkBytes = 64 * 1024;
static_assert(kClientReadChunkBytes <= kMaxClientReplyBytes);

// The RESP2 request for `cmd` (a multibulk array): GET, SET [NX|XX] [PXAT ms], DEL, EXISTS,
// INCRBY, MGET, MSET, DBSIZE, FLUSHALL; every key prefixed with `key_prefix`.
std::string SerializeCommand(const core::Command& cmd, std::string_view key_prefix = "");
// The outcome a reply stands for (see the header comment).
workloads::ClientResult ReplyToResult(const net::RespValue& reply);

class RespClient final : public workloads::Client {
 public:
  // Starts with target `first_target` of the runtime's list. Connects lazily, on the first call.
  RespClient(RealRuntime& runtime, size_t first_target);
  ~RespClient() override;
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  // REQUIRES: called from a fiber of `runtime`, one call at a time.
  workloads::ClientResult Execute(core::Command cmd) override;

  // Starts connecting now instead of on the first call (the runtime's pre-opened connections), and
  // sends a PING: a TCP connect completes in the kernel's accept queue, before the server has
  // accepted it, so without a round trip the first request would pay the server's accept and
  // connection set-up (1000 fresh connections: ~50 ms on the 2-core VM), and a run would measure
  // connections, not requests. Failures are silent here: the first call then reconnects and
  // reports them.
  void ConnectNow();
  // True while a connect started by ConnectNow (or a call) is in progress, or its PING unanswered.
  bool connecting() const;

  // The index of the target the next call goes to.
  size_t target() const;
  // Connections opened so far (reconnects included); for tests.
  uint64_t connects() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the loop's timers, which hold weak references.
};

}  // namespace kvlab::real
