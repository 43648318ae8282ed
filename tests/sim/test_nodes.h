// Purpose-built core::Node implementations for simulator tests: small enough that a test's
// expectation follows from reading them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/policy/node.h"
#include "core/types.h"
#include "sim/sim_config.h"

namespace kvlab::sim::testing {

// Answers every request at once with the request's first key as value; appends one byte per
// request to its "log" file and syncs it at the end of each turn; sends a ping to the next node
// on every timer (period 1 ms of its own clock) and counts pings received.
class EchoNode final : public core::Node {
 public:
  explicit EchoNode(const core::NodeConfig& config, core::Env& env) : config_(config), env_(env) {}

  absl::Status Start() override {
    env_.SetTimer(core::Millis(1), 1);
    return absl::OkStatus();
  }
  void OnClientRequest(core::ReplyHandle handle, core::Command cmd) override {
    (void)env_.disk().Append("log", "x");
    dirty_ = true;
    core::ClientReply reply;
    reply.result = core::Result::Value(cmd.keys.empty() ? "" : cmd.keys[0]);
    env_.Reply(handle, std::move(reply));
  }
  void OnMessage(const core::Message&) override { ++pings_received; }
  void OnTimer(core::TimerToken token) override {
    ++timers_fired;
    timer_times.push_back(env_.Now());
    if (config_.members.size() > 1) {
      core::Message ping;
      ping.type = core::MessageType::kForwardRequest;
      ping.body = core::ClientRequest{token, core::Command::Get("ping")};
      env_.Send(config_.self % config_.members.size() + 1, std::move(ping));
    }
    env_.SetTimer(core::Millis(1), token + 1);
  }
  void OnSyncDone(core::SyncToken, absl::Status) override {}  // A1 replaces
  void EndTurn() override {
    if (dirty_) (void)env_.disk().Sync("log");
    dirty_ = false;
  }
  std::vector<std::pair<std::string, std::string>> Info() const override { return {{"role", "echo"}}; }
  core::NodeStatus Status() const override {
    core::NodeStatus s;
    s.role = "echo";
    return s;
  }
  const core::KvState* AppliedState() const override { return &state_; }
  size_t KeyCount() const override { return 0; }

  int pings_received = 0;
  int timers_fired = 0;
  std::vector<core::Nanos> timer_times;

 private:
  core::NodeConfig config_;
  core::Env& env_;
  core::KvState state_;  // always empty: an echo node keeps no data.
  bool dirty_ = false;
};

inline absl::StatusOr<std::unique_ptr<core::Node>> MakeEchoNode(const core::NodeConfig& config, core::Env& env) {
  return std::unique_ptr<core::Node>(std::make_unique<EchoNode>(config, env));
}

// A fast network and a short client timeout, for runs of echo nodes.
inline SimConfig EchoConfig() {
  SimConfig c;
  c.network.latency_ns = core::Micros(50);
  c.network.jitter_ns = core::Micros(20);
  c.client_timeout_ns = core::Millis(50);
  return c;
}

}  // namespace kvlab::sim::testing
