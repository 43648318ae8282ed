// Purpose-built core::Node implementations for simulator tests: small enough that a test's
// expectation follows from reading them.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/policy/node.h"
#include "core/policy/registry.h"
#include "core/types.h"
#include "sim/sim_config.h"
#include "sim/simulator.h"

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
  void OnSyncDone(core::SyncToken, absl::Status) override {}  // it syncs blocking, in EndTurn.
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

// On its first timer (1 ms) appends "x" to its "log" file and starts an asynchronous sync of it;
// counts the syncs that completed.
class SyncingNode final : public core::Node {
 public:
  explicit SyncingNode(core::Env& env) : env_(env) {}
  absl::Status Start() override {
    env_.SetTimer(core::Millis(1), 1);
    return absl::OkStatus();
  }
  void OnClientRequest(core::ReplyHandle, core::Command) override {}
  void OnMessage(const core::Message&) override {}
  void OnTimer(core::TimerToken) override {
    (void)env_.disk().Append("log", "x");
    env_.disk().StartSync("log", 42);
  }
  void OnSyncDone(core::SyncToken token, absl::Status status) override {
    EXPECT_EQ(token, 42u);
    syncs_done += status.ok() ? 1 : 0;
  }
  void EndTurn() override {}
  std::vector<std::pair<std::string, std::string>> Info() const override { return {}; }
  core::NodeStatus Status() const override { return {}; }
  const core::KvState* AppliedState() const override { return &state_; }
  size_t KeyCount() const override { return 0; }

  int syncs_done = 0;

 private:
  core::Env& env_;
  core::KvState state_;
};

inline absl::StatusOr<std::unique_ptr<core::Node>> MakeSyncingNode(const core::NodeConfig&, core::Env& env) {
  return std::unique_ptr<core::Node>(std::make_unique<SyncingNode>(env));
}

// A fast network and a short client timeout, for runs of echo nodes; the CPU and disk of the
// model before calibration (an fsync of 1 ms + uniform [0, 250 us], rarely 30 ms more), which the
// timings of these tests assume.
inline SimConfig EchoConfig() {
  SimConfig c;
  c.network.latency_ns = core::Micros(50);
  c.network.jitter_ns = core::Micros(20);
  // No per-connection costs: these tests count and time calls, not closes.
  c.cpu = CpuModel{.per_message_ns = 0,
                   .per_event_ns = 2'000,
                   .per_kib_ns = 250,
                   .max_batch = 256,
                   .per_connection_ns = 0,
                   .client_per_connection_ns = 0};
  c.disk = DiskModel{.write_latency_ns = 10'000,
                     .write_bytes_per_sec = 1'000'000'000,
                     .fsync_latency_ns = core::Millis(1),
                     .fsync_quantiles = {},
                     .fsync_jitter_ns = 250'000,
                     .fsync_slow_ppm = 2'000,
                     .fsync_slow_ns = core::Millis(30)};
  c.client_timeout_ns = core::Millis(50);
  return c;
}

// A node planted with a bug that only the run's verdicts catch, wrapping a real policy node.
// kRefuseWrites: every write is answered TRYAGAIN (reads are served): a store that never makes
// progress, yet whose history is trivially linearizable. kDiverge (on node `victim`): its applied
// state shows one key with another value, as a replica that applied something else would.
// kNeverCatchUp (on `victim`): it reports an applied index that never moves past 1.
// kRefuseRestart (on `victim`): after its first boot it refuses to start with DataLoss, though no
// fault corrupted anything.
enum class PlantedBug { kRefuseWrites, kDiverge, kNeverCatchUp, kRefuseRestart };

class PlantedBugNode final : public core::Node {
 public:
  PlantedBugNode(std::unique_ptr<core::Node> inner, core::Env& env, PlantedBug bug, bool victim, int boot)
      : inner_(std::move(inner)), env_(env), bug_(bug), victim_(victim), boot_(boot) {}

  absl::Status Start() override {
    if (bug_ == PlantedBug::kRefuseRestart && victim_ && boot_ > 1) return absl::DataLossError("planted: log corrupt");
    return inner_->Start();
  }
  void OnClientRequest(core::ReplyHandle handle, core::Command cmd) override {
    if (bug_ == PlantedBug::kRefuseWrites && !core::IsReadOnly(cmd.op)) {
      core::ClientReply reply;
      reply.status = core::ReplyStatus::kTryAgain;
      reply.message = "TRYAGAIN planted bug";
      env_.Reply(handle, std::move(reply));
      return;
    }
    inner_->OnClientRequest(handle, std::move(cmd));
  }
  void OnMessage(const core::Message& msg) override { inner_->OnMessage(msg); }
  void OnTimer(core::TimerToken token) override { inner_->OnTimer(token); }
  void OnSyncDone(core::SyncToken token, absl::Status status) override { inner_->OnSyncDone(token, std::move(status)); }
  void EndTurn() override { inner_->EndTurn(); }
  std::vector<std::pair<std::string, std::string>> Info() const override { return inner_->Info(); }
  core::NodeStatus Status() const override {
    core::NodeStatus s = inner_->Status();
    if (bug_ == PlantedBug::kNeverCatchUp && victim_) s.applied_index = std::min<uint64_t>(s.applied_index, 1);
    return s;
  }
  const core::KvState* AppliedState() const override {
    const core::KvState* state = inner_->AppliedState();
    if (bug_ != PlantedBug::kDiverge || !victim_ || state == nullptr) return state;
    diverged_ = *state;
    (void)diverged_.Apply(core::Command::Put("kvlab-diverged", "x"), 0);
    return &diverged_;
  }
  size_t KeyCount() const override { return inner_->KeyCount(); }
  bool Ready() const override { return inner_->Ready(); }

 private:
  std::unique_ptr<core::Node> inner_;
  core::Env& env_;
  PlantedBug bug_;
  bool victim_;
  int boot_;  // 1 for the node's first boot.
  mutable core::KvState diverged_;
};

// Factory for SimRunOptions::node_factory: the policy's nodes, planted with `bug` (on node
// `victim` where the bug hits one node).
inline NodeFactory PlantBug(core::PolicyChoice policy, PlantedBug bug, core::NodeId victim = 2) {
  auto boots = std::make_shared<std::map<core::NodeId, int>>();
  return [policy, bug, victim, boots](const core::NodeConfig& config,
                                      core::Env& env) -> absl::StatusOr<std::unique_ptr<core::Node>> {
    absl::StatusOr<std::unique_ptr<core::Node>> inner = core::MakeNode(policy, config, env);
    if (!inner.ok()) return inner.status();
    const int boot = ++(*boots)[config.self];
    return std::unique_ptr<core::Node>(
        std::make_unique<PlantedBugNode>(*std::move(inner), env, bug, config.self == victim, boot));
  };
}

}  // namespace kvlab::sim::testing
