#include "real/resp_client.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "net/event_loop.h"
#include "net/resp_writer.h"
#include "net/tcp.h"
#include "real/real_runtime.h"
#include "workloads/fiber.h"

namespace kvlab::real {
namespace {

using workloads::ClientResult;
using workloads::Outcome;

using workloads::ErrorKind;

ClientResult Failure(Outcome outcome, ErrorKind kind, std::string error) {
  ClientResult r;
  r.outcome = outcome;
  r.error = std::move(error);
  r.error_kind = kind;
  return r;
}

// An error reply's kind by its prefix: the server refused to serve now, or could not tell, or
// refused the command itself.
ErrorKind ErrorReplyKind(absl::string_view reply) {
  if (absl::StartsWith(reply, "UNKNOWN")) return ErrorKind::kUnknown;
  for (absl::string_view busy : {"TRYAGAIN", "BUSY", "LOADING", "MASTERDOWN", "CLUSTERDOWN"}) {
    if (absl::StartsWith(reply, busy)) return ErrorKind::kUnavailable;
  }
  return ErrorKind::kCommand;
}

void AppendArgs(std::string* out, const std::vector<std::string>& args) {
  net::AppendArrayHeader(out, args.size());
  for (const std::string& a : args) net::AppendBulk(out, a);
}

}  // namespace

std::string SerializeCommand(const core::Command& command, std::string_view key_prefix) {
  core::Command prefixed;
  if (!key_prefix.empty()) {
    prefixed = command;
    for (std::string& key : prefixed.keys) key.insert(0, key_prefix);
  }
  const core::Command& cmd = key_prefix.empty() ? command : prefixed;
  std::vector<std::string> args;
  auto with_keys = [&](const char* name) {
    args.push_back(name);
    args.insert(args.end(), cmd.keys.begin(), cmd.keys.end());
  };
  switch (cmd.op) {
    case core::Op::kGet: with_keys("GET"); break;
    case core::Op::kPut:
      KV_ASSERT(cmd.keys.size() == 1 && cmd.values.size() == 1);
      args = {"SET", cmd.keys[0], cmd.values[0]};
      if (cmd.condition == core::PutCondition::kIfAbsent) args.push_back("NX");
      if (cmd.condition == core::PutCondition::kIfPresent) args.push_back("XX");
      if (cmd.expire_at_ms > 0) {
        args.push_back("PXAT");
        args.push_back(absl::StrCat(cmd.expire_at_ms));
      }
      break;
    case core::Op::kDel: with_keys("DEL"); break;
    case core::Op::kExists: with_keys("EXISTS"); break;
    case core::Op::kIncr:
      with_keys("INCRBY");
      args.push_back(absl::StrCat(cmd.delta));
      break;
    case core::Op::kMGet: with_keys("MGET"); break;
    case core::Op::kMSet:
      KV_ASSERT(cmd.keys.size() == cmd.values.size());
      args.push_back("MSET");
      for (size_t i = 0; i < cmd.keys.size(); ++i) {
        args.push_back(cmd.keys[i]);
        args.push_back(cmd.values[i]);
      }
      break;
    case core::Op::kDbSize: args.push_back("DBSIZE"); break;
    case core::Op::kFlushAll: args.push_back("FLUSHALL"); break;
    default: KV_ASSERT(false && "the workload client sends no other command"); break;
  }
  std::string out;
  AppendArgs(&out, args);
  return out;
}

ClientResult ReplyToResult(const net::RespValue& reply) {
  using Type = net::RespValue::Type;
  ClientResult r;
  switch (reply.type) {
    case Type::kSimple: r.result = reply.str == "OK" ? core::Result::Ok() : core::Result::Value(reply.str); break;
    case Type::kBulk: r.result = core::Result::Value(reply.str); break;
    case Type::kNil:
    case Type::kNilArray: r.result = core::Result::Nil(); break;
    case Type::kInteger: r.result = core::Result::Integer(reply.integer); break;
    case Type::kArray:
      r.result = core::Result::OfKind(core::ResultKind::kValues);
      for (const net::RespValue& e : reply.elements) {
        if (e.type == Type::kBulk || e.type == Type::kSimple) {
          r.result.values.push_back(e.str);
        } else {
          r.result.values.push_back(std::nullopt);
        }
      }
      break;
    case Type::kError:
      // -UNKNOWN: the server could not tell whether a write was applied. Every other error
      // (-TRYAGAIN, -BUSY, -ERR, -WRONGTYPE, -LOADING, ...) refused the command.
      return Failure(absl::StartsWith(reply.str, "UNKNOWN") ? Outcome::kUnknown : Outcome::kFail,
                     ErrorReplyKind(reply.str), reply.str);
  }
  return r;
}

// Connection and call state. The loop's fd callback holds a raw pointer (the watch is removed
// before the state dies); timers hold weak pointers (they cannot be cancelled).
struct RespClient::State : std::enable_shared_from_this<RespClient::State> {
  RealRuntime* rt = nullptr;
  size_t target = 0;
  int fd = -1;
  net::EventLoop::WatchId watch = 0;
  bool connecting = false;
  bool auth_reply_expected = false;  // the connection's first reply answers its AUTH.
  bool warming = false;              // a pre-opened connection's PING is unanswered (ConnectNow).
  std::string out;                   // request bytes not yet written.
  std::string in;                    // reply bytes not yet parsed.
  uint64_t connects = 0;
  // The one call in flight.
  bool pending = false;
  core::Nanos deadline = 0;  // the call in flight times out at this monotonic time.
  // At most one loop timer per client is pending (timers cannot be cancelled): it re-arms for the
  // current call's deadline instead of leaving one stale timer per call in the loop (at 25 k
  // calls/s and the scenarios' default 2 s timeout, 50 k of them).
  bool timer_armed = false;
  workloads::Fiber* waiter = nullptr;
  ClientResult result;

  std::string TargetName() const { return FormatTarget(rt->targets()[target]); }

  void Close() {
    if (fd < 0) return;
    rt->loop().Unwatch(watch);
    ::close(fd);
    fd = -1;
    connecting = false;
    auth_reply_expected = false;
    warming = false;
    out.clear();
    in.clear();
  }
  // Closes and moves to the next target for the following calls.
  void Drop() {
    Close();
    target = (target + 1) % rt->targets().size();
  }
  void Finish(ClientResult r) {
    if (!pending) return;
    pending = false;
    result = std::move(r);
    rt->Wake(waiter);
  }

  absl::Status Open() {
    const Target& t = rt->targets()[target];
    absl::StatusOr<int> fd_or = net::StartConnectTcp(t.host, t.port);
    if (!fd_or.ok()) return fd_or.status();
    fd = *fd_or;
    ++connects;
    connecting = true;
    absl::StatusOr<net::EventLoop::WatchId> w =
        rt->loop().Watch(fd, EPOLLOUT, [this](uint32_t events) { OnEvents(events); });
    if (!w.ok()) {
      ::close(fd);
      fd = -1;
      connecting = false;
      return w.status();
    }
    watch = *w;
    if (const std::string& password = rt->connection_options().password; !password.empty()) {
      AppendArgs(&out, {"AUTH", password});
      auth_reply_expected = true;
    }
    return absl::OkStatus();
  }

  void UpdateInterest() {
    if (fd < 0) return;
    rt->loop().Modify(watch, connecting || !out.empty() ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
  }

  void OnEvents(uint32_t events) {
    if (connecting) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      const int err = net::ConnectError(fd);
      if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
        // Nothing was sent before the connection was up: definitely not applied.
        const std::string name = TargetName();
        Drop();
        Finish(Failure(Outcome::kFail, ErrorKind::kConnection,
                       absl::StrCat("connect to ", name, ": ", err != 0 ? std::strerror(err) : "connection failed")));
        return;
      }
      connecting = false;
      net::SetNoDelay(fd);
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 && !ReadReplies()) return;
    if (!out.empty() && !WriteSome()) return;
    UpdateInterest();
  }

  // False if the connection was dropped.
  bool WriteSome() {
    while (!out.empty()) {
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0 && errno == EINTR) continue;
      Lost(absl::StrCat("send: ", std::strerror(errno)));
      return false;
    }
    return true;
  }

  // Reads what is available and completes the call on a whole reply. False if dropped.
  bool ReadReplies() {
    char chunk[kClientReadChunkBytes];
    for (;;) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n > 0) {
        in.append(chunk, static_cast<size_t>(n));
        if (in.size() > kMaxClientReplyBytes) {
          Lost("reply larger than the client's limit");
          return false;
        }
        // A short read drained the socket: skip the recv that would only say EAGAIN (one
        // syscall per call saved; the loop is level-triggered, so later bytes wake us again).
        if (static_cast<size_t>(n) < sizeof(chunk)) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Lost(n == 0 ? "connection closed by the server" : absl::StrCat("recv: ", std::strerror(errno)));
      return false;
    }
    while (!in.empty()) {
      net::RespValue reply;
      size_t used = 0;
      if (absl::Status s = net::ParseReply(in, &used, &reply, kMaxClientReplyBytes); !s.ok()) {
        Lost(absl::StrCat("bad reply: ", std::string(s.message())));
        return false;
      }
      if (used == 0) break;
      in.erase(0, used);
      if (auth_reply_expected) {
        auth_reply_expected = false;
        if (reply.type != net::RespValue::Type::kError) continue;
        Lost(absl::StrCat("AUTH failed: ", reply.str));
        return false;
      }
      if (warming) {  // any answer says the server accepted and serves this connection.
        warming = false;
        continue;
      }
      if (!pending) {  // a reply nobody asked for: the stream is out of step.
        Lost("unexpected reply");
        return false;
      }
      Finish(ReplyToResult(reply));
    }
    return true;
  }

  // The connection is unusable: a call in flight may or may not have been applied.
  void Lost(const std::string& why) {
    const std::string name = TargetName();
    Drop();
    Finish(Failure(Outcome::kUnknown, ErrorKind::kConnection, absl::StrCat(name, ": ", why)));
  }

  // REQUIRES: pending. Makes sure a timer fires no later than `deadline`.
  void ArmTimer() {
    if (timer_armed) return;
    timer_armed = true;
    std::weak_ptr<State> weak = weak_from_this();
    rt->loop().AddTimer(std::max<core::Nanos>(0, deadline - rt->Now()), [weak] {
      if (std::shared_ptr<State> alive = weak.lock()) alive->OnTimer();
    });
  }

  void OnTimer() {
    timer_armed = false;
    if (!pending) return;
    if (rt->Now() < deadline) return ArmTimer();  // a later call's deadline: wait for it.
    OnTimeout();
  }

  void OnTimeout() {
    if (!pending) return;
    const std::string name = TargetName();
    const bool sent = !connecting;
    Drop();
    // A connect that never completed sent nothing: definitely not applied.
    Finish(Failure(sent ? Outcome::kUnknown : Outcome::kFail, ErrorKind::kTimeout,
                   absl::StrCat(sent ? "timeout waiting for " : "timeout connecting to ", name)));
  }
};

RespClient::RespClient(RealRuntime& runtime, size_t first_target) : state_(std::make_shared<State>()) {
  KV_ASSERT(first_target < runtime.targets().size());
  state_->rt = &runtime;
  state_->target = first_target;
}

RespClient::~RespClient() { state_->Close(); }

void RespClient::ConnectNow() {
  State& s = *state_;
  if (s.fd >= 0) return;
  if (!s.Open().ok()) {
    s.Close();
    return;
  }
  AppendArgs(&s.out, {"PING"});
  s.warming = true;
}
bool RespClient::connecting() const { return state_->connecting || state_->warming; }

size_t RespClient::target() const { return state_->target; }
uint64_t RespClient::connects() const { return state_->connects; }

workloads::ClientResult RespClient::Execute(core::Command cmd) {
  State& s = *state_;
  KV_ASSERT(!s.pending);  // one call at a time.
  s.waiter = workloads::Fiber::Current();
  KV_ASSERT(s.waiter != nullptr);
  if (s.fd < 0) {
    if (absl::Status st = s.Open(); !st.ok()) {
      const std::string name = s.TargetName();
      s.Drop();
      return Failure(Outcome::kFail, ErrorKind::kConnection,
                     absl::StrCat("connect to ", name, ": ", std::string(st.message())));
    }
  }
  s.pending = true;
  s.out += SerializeCommand(cmd, s.rt->connection_options().key_prefix);
  s.deadline = s.rt->Now() + s.rt->request_timeout();
  s.ArmTimer();
  if (!s.connecting && s.WriteSome()) s.UpdateInterest();
  while (s.pending) s.rt->Park();
  s.waiter = nullptr;
  return std::move(s.result);
}

}  // namespace kvlab::real
