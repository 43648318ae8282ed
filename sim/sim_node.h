// One simulated node: a core::Node (the policy state machine) hosted on a simulated CPU, clock
// and disk. SimNode is the node's core::Env. Inputs (messages, timers, client requests) queue in
// an inbox; the CPU serves them one turn at a time: a turn handles up to CpuModel::max_batch
// inputs, then EndTurn, and costs per-input time (more for a message: its connection's syscalls)
// and the disk time it used. Its outputs leave when the turn ends, so queueing shows up in throughput. A sync
// the node starts runs on its disk device meanwhile (one at a time, in order); its completion is
// one more input (OnSyncDone).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/env.h"
#include "core/policy/node.h"
#include "sim/sim_config.h"
#include "sim/sim_disk.h"

namespace kvlab::sim {

class Simulator;

struct NodeStats {
  uint64_t turns = 0;
  uint64_t inputs = 0;
  uint64_t crashes = 0;
  uint64_t restarts = 0;
  core::Nanos busy_ns = 0;
};

class SimNode final : public core::Env {
 public:
  // `disk_rng` draws sync latencies: a stream of its own, so the node's and the fault stream's
  // draws do not depend on how many syncs the policy makes.
  SimNode(Simulator& sim, core::NodeConfig config, core::Rng rng, core::Rng disk_rng);

  // Creates the policy state machine and recovers it from disk. On error the node stays down.
  absl::Status Boot();
  // Draws the torn-write choice from the simulator's fault stream, not the node's own.
  void Crash(bool tear_last_write, core::Rng& fault_rng);
  void Pause() { paused_ = true; }
  void Resume();

  // An input arrives now (network delivery or timer).
  void DeliverMessage(core::Message&& msg, size_t bytes);
  void FireTimer(uint32_t incarnation, core::TimerToken token);
  // A dead peer's closed connections arrive (Node::OnPeerLost); dropped if this node is down.
  void DeliverPeerLost(core::NodeId peer);
  // A client's connection closed (Simulator::CloseClientConnection): an input the policy never
  // sees that costs the node's turn CpuModel::per_connection_ns; dropped if this node is down.
  void DeliverClientGone();
  // The CPU event: serve one turn.
  void RunTurn(uint32_t incarnation);
  // The disk event: the running sync completes now.
  void CompleteSync(uint32_t incarnation);

  bool up() const { return node_ != nullptr; }
  bool paused() const { return paused_; }
  uint32_t incarnation() const { return incarnation_; }
  core::Node* node() { return node_.get(); }
  SimDisk& sim_disk() { return disk_; }
  const NodeStats& stats() const { return stats_; }
  const std::string& last_error() const { return last_error_; }
  // REQUIRES: |drift_ppm| < 100000 (a clock off by 10% is broken hardware, not drift).
  void SetClock(core::Nanos offset_ns, int64_t drift_ppm);
  // A clock fault: the clock jumps forward (never back: Env::Now is monotonic) and drifts anew.
  void JumpClock(core::Nanos forward_ns, int64_t drift_ppm);

  // core::Env
  core::NodeId self() const override { return config_.self; }
  core::Nanos Now() override;
  void Send(core::NodeId to, core::Message msg) override;
  void SetTimer(core::Nanos delay, core::TimerToken token) override;
  void Reply(core::ReplyHandle handle, core::ClientReply reply) override;
  core::Disk& disk() override { return disk_; }
  core::Rng& rng() override { return rng_; }
  // At CpuModel::per_kib_ns, added to the turn's CPU time (or to the boot's).
  void ChargeBulkBytes(uint64_t bytes) override;

 private:
  enum class InputKind : uint8_t { kMessage, kTimer, kSyncDone, kPeerLost, kClientGone };
  struct Input {
    InputKind kind = InputKind::kMessage;
    uint64_t token = 0;  // a TimerToken, a SyncToken or (kPeerLost) the peer's id.
    core::Message msg;
    size_t bytes = 0;
    absl::Status status;  // kSyncDone.
  };
  struct Outgoing {
    uint32_t to_endpoint;
    core::Message msg;
  };
  struct PendingRequest {
    uint32_t client_endpoint;
    uint64_t request_id;
  };

  void Enqueue(Input input);
  bool InboxEmpty() const { return inbox_head_ == inbox_.size(); }
  size_t InboxSize() const { return inbox_.size() - inbox_head_; }
  // Consumes the front input (after it was handled in place).
  void DropFrontInput();
  void ClearInbox() {
    inbox_.clear();
    inbox_head_ = 0;
  }
  void ScheduleRun();
  void Handle(Input& input);
  void HandleClientRequest(core::Message& msg);
  void FlushOutbox(core::Nanos at);
  // Starts the device's next queued sync at `at`, if it is idle.
  void PumpDisk(core::Nanos at);

  Simulator& sim_;
  core::NodeConfig config_;
  core::Rng rng_;
  core::Rng disk_rng_;
  SimDisk disk_;
  std::unique_ptr<core::Node> node_;
  bool paused_ = false;
  uint32_t incarnation_ = 0;
  bool run_scheduled_ = false;
  core::Nanos busy_until_ = 0;
  core::Nanos turn_start_ = 0;
  core::Nanos turn_cpu_ns_ = 0;  // CPU time of the current turn's inputs so far.
  core::Nanos clock_offset_ns_ = 0;
  int64_t drift_ppm_ = 0;
  // FIFO in one vector from inbox_head_ on, reusing its capacity: a std::deque of these inputs
  // (a couple of hundred bytes each) would allocate a block every two pushes.
  std::vector<Input> inbox_;
  size_t inbox_head_ = 0;
  std::vector<Outgoing> outbox_;
  absl::flat_hash_map<core::ReplyHandle, PendingRequest> requests_;  // lookups only
  core::ReplyHandle next_handle_ = 1;
  NodeStats stats_;
  std::string last_error_;
};

}  // namespace kvlab::sim
