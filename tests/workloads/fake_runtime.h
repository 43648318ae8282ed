// A tiny deterministic Runtime for driver tests: fibers in virtual time over one in-memory
// "server" with a configurable service time and an optional stall window. Requests are applied
// atomically when they complete, so recorded histories are linearizable by construction (unless
// a planted bug is switched on).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "core/assert.h"
#include "workloads/fiber.h"
#include "workloads/runtime.h"

namespace kvlab::workloads::testing {

class FakeRuntime final : public Runtime {
 public:
  core::Nanos service_ns = core::Millis(1);
  core::Nanos stall_from = -1;  // requests arriving in [stall_from, stall_until) wait for its end.
  core::Nanos stall_until = -1;
  std::function<Outcome(const core::Command&)> outcome;  // default: always kOk.
  // A planted bug: a get that starts at the very instant a put of its key completed misses that
  // put (it reads the previous value). Only the order of events that tie in time shows it.
  bool hide_puts_of_this_instant = false;
  int in_flight = 0;
  int max_in_flight = 0;
  std::map<std::string, std::string> store;

  ~FakeRuntime() override { KV_ASSERT(AllFinished()); }

  core::Nanos Now() override { return now_; }
  void SleepUntil(core::Nanos deadline) override {
    while (now_ < deadline) {
      Schedule(Fiber::Current(), deadline);
      Fiber::Suspend();
    }
  }
  void Spawn(std::function<void()> body) override {
    fibers_.push_back(std::make_unique<Fiber>(std::move(body)));
    Schedule(fibers_.back().get(), now_);
  }
  std::unique_ptr<Client> Connect(int index) override { return std::make_unique<FakeClient>(*this); }
  void Park() override { Fiber::Suspend(); }
  void Wake(Fiber* fiber) override { Schedule(fiber, now_); }

  // Runs events until none are left.
  void Run() {
    while (!events_.empty()) {
      auto [at, seq, fiber] = events_.top();
      events_.pop();
      now_ = at;
      if (!fiber->finished()) fiber->Resume();
    }
  }
  bool AllFinished() const {
    for (const auto& f : fibers_) {
      if (!f->finished()) return false;
    }
    return true;
  }

 private:
  class FakeClient final : public Client {
   public:
    explicit FakeClient(FakeRuntime& rt) : rt_(rt) {}
    ClientResult Execute(core::Command cmd) override {
      const Hidden hidden = HiddenRead(cmd);
      core::Nanos start = rt_.now_;
      if (start >= rt_.stall_from && start < rt_.stall_until) start = rt_.stall_until;
      const core::Nanos done = start + rt_.service_ns;
      rt_.max_in_flight = std::max(rt_.max_in_flight, ++rt_.in_flight);
      rt_.SleepUntil(done);
      --rt_.in_flight;
      ClientResult r;
      r.outcome = rt_.outcome ? rt_.outcome(cmd) : Outcome::kOk;
      // As a real client would say: an unknown outcome here is a timeout, a failure a refusal.
      if (r.outcome == Outcome::kUnknown) r.error_kind = ErrorKind::kTimeout;
      if (r.outcome == Outcome::kFail) {
        r.error_kind = ErrorKind::kUnavailable;
        return r;
      }
      if (cmd.op == core::Op::kPut) {
        Put(cmd.keys[0], cmd.values[0]);
        r.result = core::Result::Ok();
      } else if (cmd.op == core::Op::kGet) {
        auto it = rt_.store.find(cmd.keys[0]);
        std::optional<std::string> value;
        if (it != rt_.store.end()) value = it->second;
        if (hidden.active) value = hidden.value;
        r.result = value ? core::Result::Value(*value) : core::Result::Nil();
      }
      return r;
    }

   private:
    void Put(const std::string& key, const std::string& value) {
      auto it = rt_.store.find(key);
      rt_.before_put[key] = {rt_.now_, it == rt_.store.end() ? std::nullopt : std::optional(it->second)};
      rt_.store[key] = value;
    }
    // The planted bug: a get started now reads the value before a put of its key completed now.
    struct Hidden {
      bool active = false;
      std::optional<std::string> value;
    };
    Hidden HiddenRead(const core::Command& cmd) const {
      if (!rt_.hide_puts_of_this_instant || cmd.op != core::Op::kGet) return {};
      auto it = rt_.before_put.find(cmd.keys[0]);
      if (it == rt_.before_put.end() || it->second.first != rt_.now_) return {};
      return {true, it->second.second};
    }
    FakeRuntime& rt_;
  };

  void Schedule(Fiber* f, core::Nanos at) {
    KV_ASSERT(f != nullptr);
    events_.emplace(at, seq_++, f);
  }

  using Event = std::tuple<core::Nanos, uint64_t, Fiber*>;
  // key -> when its last put completed and the value before it.
  std::map<std::string, std::pair<core::Nanos, std::optional<std::string>>> before_put;
  core::Nanos now_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::vector<std::unique_ptr<Fiber>> fibers_;
};

}  // namespace kvlab::workloads::testing
