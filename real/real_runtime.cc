#include "real/real_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/assert.h"
#include "real/resp_client.h"

namespace kvlab::real {

std::string FormatTarget(const Target& t) { return absl::StrCat(t.host, ":", t.port); }

absl::StatusOr<std::vector<Target>> ParseTargets(const std::string& text) {
  std::vector<Target> targets;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    const size_t colon = entry.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || colon == 0 || !absl::SimpleAtoi(entry.substr(colon + 1), &port) ||
        port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("--target '", std::string(entry), "': expected HOST:PORT with a port in 1..65535"));
    }
    targets.push_back(Target{std::string(entry.substr(0, colon)), port});
  }
  if (targets.size() > kMaxTargets) {
    return absl::InvalidArgumentError(absl::StrCat("--target: at most ", kMaxTargets, " targets"));
  }
  return targets;
}

absl::StatusOr<std::unique_ptr<RealRuntime>> RealRuntime::Create(std::vector<Target> targets,
                                                                 core::Nanos request_timeout) {
  KV_ASSERT(!targets.empty());
  KV_ASSERT(request_timeout > 0);
  absl::StatusOr<std::unique_ptr<net::EventLoop>> loop = net::EventLoop::Create();
  if (!loop.ok()) return loop.status();
  return std::unique_ptr<RealRuntime>(new RealRuntime(*std::move(loop), std::move(targets), request_timeout));
}

RealRuntime::RealRuntime(std::unique_ptr<net::EventLoop> loop, std::vector<Target> targets, core::Nanos timeout)
    : loop_(std::move(loop)), targets_(std::move(targets)), request_timeout_(timeout), idle_(targets_.size()) {}

RealRuntime::~RealRuntime() {
  idle_.clear();  // their connections unwatch themselves from the loop.
  // Pending loop tasks refer to this runtime: the loop goes first, without running them.
  loop_.reset();
}

void RealRuntime::Spawn(std::function<void()> body) { ScheduleWake(fibers_.Add(std::move(body)), Now()); }

void RealRuntime::ScheduleWake(uint64_t id, core::Nanos at) {
  const core::Nanos delay = at - Now();
  if (delay > 0) {
    // Timers cannot be cancelled: a stale one resumes a parked fiber spuriously, and every wait
    // re-checks its condition (sync.h), so that is harmless.
    loop_->AddTimer(delay, [this, id] { fibers_.Resume(id); });
    return;
  }
  if (!fibers_.TryMarkWakePending(id)) return;
  loop_->Post([this, id] {
    fibers_.ClearWakePending(id);
    fibers_.Resume(id);
  });
}

void RealRuntime::SleepUntil(core::Nanos deadline) {
  workloads::Fiber* self = workloads::Fiber::Current();
  KV_ASSERT(self != nullptr);
  const uint64_t id = fibers_.IdOf(self);
  while (Now() < deadline) {
    ScheduleWake(id, deadline);
    workloads::Fiber::Suspend();
  }
}

void RealRuntime::Park() {
  KV_ASSERT(workloads::Fiber::Current() != nullptr);
  workloads::Fiber::Suspend();
}

void RealRuntime::Wake(workloads::Fiber* fiber) { ScheduleWake(fibers_.IdOf(fiber), Now()); }

std::unique_ptr<workloads::Client> RealRuntime::Connect(int index) {
  KV_ASSERT(index >= 0);
  const size_t target = static_cast<size_t>(index) % targets_.size();
  if (!idle_[target].empty()) {
    std::unique_ptr<RespClient> client = std::move(idle_[target].front());
    idle_[target].pop_front();
    return client;
  }
  return std::make_unique<RespClient>(*this, target);
}

void RealRuntime::Preconnect(int count, core::Nanos timeout) {
  KV_ASSERT(count >= 0);
  std::vector<RespClient*> opening;
  for (int i = 0; i < count; ++i) {
    const size_t target = static_cast<size_t>(i) % targets_.size();
    idle_[target].push_back(std::make_unique<RespClient>(*this, target));
    idle_[target].back()->ConnectNow();
    opening.push_back(idle_[target].back().get());
  }
  auto all_settled = [&] {
    for (const RespClient* c : opening) {
      if (c->connecting()) return false;
    }
    return true;
  };
  (void)RunUntil(all_settled, Now() + timeout);  // stragglers finish connecting on first use.
}

absl::Status RealRuntime::RunUntil(const std::function<bool()>& done, core::Nanos deadline) {
  KV_ASSERT(workloads::Fiber::Current() == nullptr);  // the loop runs on the scheduler's stack.
  // A timer at the deadline keeps a turn from waiting forever when nothing else is pending.
  loop_->AddTimer(std::max<core::Nanos>(0, deadline - Now()), [] {});
  while (!done()) {
    if (Now() >= deadline) return absl::DeadlineExceededError("the run did not finish before its deadline");
    loop_->RunOnce();
  }
  return absl::OkStatus();
}

}  // namespace kvlab::real
