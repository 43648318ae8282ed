#include "sim/sim_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "sim/simulator.h"

namespace kvlab::sim {

SimNode::SimNode(Simulator& sim, core::NodeConfig config, core::Rng rng, core::Rng disk_rng)
    : sim_(sim), config_(std::move(config)), rng_(rng), disk_rng_(disk_rng), disk_(sim.config().disk) {}

absl::Status SimNode::Boot() {
  KV_ASSERT(node_ == nullptr);
  absl::StatusOr<std::unique_ptr<core::Node>> made = sim_.factory()(config_, *this);
  if (!made.ok()) return made.status();
  node_ = *std::move(made);
  turn_start_ = sim_.now();
  busy_until_ = turn_start_;
  turn_cpu_ns_ = 0;
  absl::Status started = node_->Start();
  const core::Nanos cost = disk_.TakeCost() + turn_cpu_ns_;  // recovery's decode (ChargeBulkBytes).
  if (!started.ok()) {
    node_.reset();
    outbox_.clear();
    last_error_ = absl::StrCat("node ", config_.self, ": ", started.message());
    return absl::Status(started.code(), last_error_);
  }
  busy_until_ = turn_start_ + cost;
  FlushOutbox(busy_until_);
  PumpDisk(busy_until_);
  if (!InboxEmpty()) ScheduleRun();
  return absl::OkStatus();
}

void SimNode::Crash(bool tear_last_write, core::Rng& fault_rng) {
  // Memory is lost (policy state, inbox, pending replies); the disk keeps what was synced.
  node_.reset();
  paused_ = false;
  ++incarnation_;
  ++stats_.crashes;
  ClearInbox();
  outbox_.clear();
  requests_.clear();
  run_scheduled_ = false;
  disk_.Crash(fault_rng, tear_last_write);
}

void SimNode::Resume() {
  paused_ = false;
  if (!InboxEmpty()) ScheduleRun();
}

core::Nanos SimNode::Now() {
  // The node's clock runs at (1 + drift) of true time, shifted by its offset.
  const core::Nanos t = turn_start_;
  return t + clock_offset_ns_ + static_cast<core::Nanos>(static_cast<__int128>(t) * drift_ppm_ / 1'000'000);
}

void SimNode::Send(core::NodeId to, core::Message msg) {
  // Built in place in the outbox: each move of a Message is a variant visit.
  Outgoing& out = outbox_.emplace_back();
  out.to_endpoint = to;
  out.msg = std::move(msg);
  out.msg.from = config_.self;
  out.msg.to = to;
}

void SimNode::ChargeBulkBytes(uint64_t bytes) {
  turn_cpu_ns_ += static_cast<core::Nanos>(bytes / 1024) * sim_.config().cpu.per_kib_ns;
}

void SimNode::SetTimer(core::Nanos delay, core::TimerToken token) {
  KV_ASSERT(delay >= 0);
  // A local duration d lasts d / (1 + drift) of true time.
  const core::Nanos true_delay =
      static_cast<core::Nanos>(static_cast<__int128>(delay) * 1'000'000 / (1'000'000 + drift_ppm_));
  sim_.Schedule(EventKind::kTimer, turn_start_ + std::max<core::Nanos>(true_delay, 0), config_.self, incarnation_,
                token);
}

void SimNode::Reply(core::ReplyHandle handle, core::ClientReply reply) {
  auto it = requests_.find(handle);
  KV_ASSERT(it != requests_.end());  // exactly one reply per request (core/node.h contract).
  reply.request_id = it->second.request_id;
  Outgoing& out = outbox_.emplace_back();
  out.to_endpoint = it->second.client_endpoint;
  out.msg.type = core::MessageType::kClientReply;
  out.msg.from = config_.self;
  out.msg.to = it->second.client_endpoint;
  out.msg.body.emplace<core::ClientReply>(std::move(reply));
  requests_.erase(it);
}

void SimNode::DeliverMessage(core::Message&& msg, size_t bytes) {
  if (!up()) return;  // a crashed node's NIC drops everything.
  Input& input = inbox_.emplace_back();
  input.msg = std::move(msg);
  input.bytes = bytes;
  ScheduleRun();
}

void SimNode::FireTimer(uint32_t incarnation, core::TimerToken token) {
  if (!up() || incarnation != incarnation_) return;  // timers die with the process.
  Input input;
  input.kind = InputKind::kTimer;
  input.token = token;
  Enqueue(std::move(input));
}

void SimNode::DeliverPeerLost(core::NodeId peer) {
  if (!up()) return;
  Input input;
  input.kind = InputKind::kPeerLost;
  input.token = peer;
  Enqueue(std::move(input));
}

void SimNode::DeliverClientGone() {
  if (!up()) return;
  Input input;
  input.kind = InputKind::kClientGone;
  Enqueue(std::move(input));
}

void SimNode::DropFrontInput() {
  KV_ASSERT(!InboxEmpty());
  ++inbox_head_;
  if (inbox_head_ == inbox_.size()) {
    ClearInbox();
  } else if (inbox_head_ >= 64 && inbox_head_ * 2 >= inbox_.size()) {
    // Never drained (a node under steady overload): drop the consumed front, amortised O(1).
    inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_head_));
    inbox_head_ = 0;
  }
}

void SimNode::Enqueue(Input input) {
  inbox_.push_back(std::move(input));
  ScheduleRun();
}

void SimNode::ScheduleRun() {
  if (run_scheduled_ || paused_ || !up() || InboxEmpty()) return;
  run_scheduled_ = true;
  sim_.Schedule(EventKind::kNodeRun, std::max(sim_.now(), busy_until_), config_.self, incarnation_, 0);
}

void SimNode::RunTurn(uint32_t incarnation) {
  if (incarnation != incarnation_) return;  // scheduled before a crash.
  run_scheduled_ = false;
  if (!up() || paused_ || InboxEmpty()) return;
  if (const core::Nanos core_free = sim_.cpus().FreeAt(sim_.now()); core_free > sim_.now()) {
    run_scheduled_ = true;  // every shared core is busy: the turn waits for the first to free.
    sim_.Schedule(EventKind::kNodeRun, core_free, config_.self, incarnation_, 0);
    return;
  }
  const CpuModel& cpu = sim_.config().cpu;
  turn_start_ = sim_.now();
  turn_cpu_ns_ = turn_start_ > busy_until_ ? cpu.wake_ns : 0;  // found idle: wakes first (CpuModel).
  const size_t batch = std::min<size_t>(InboxSize(), cpu.max_batch);
  for (size_t i = 0; i < batch && up(); ++i) {
    // Handled in place: a handler's outputs go to the outbox and the agenda, never to this inbox.
    Input& input = inbox_[inbox_head_];
    turn_cpu_ns_ += cpu.per_event_ns + static_cast<core::Nanos>(input.bytes) * cpu.per_kib_ns / 1024;
    if (input.kind == InputKind::kMessage) turn_cpu_ns_ += cpu.per_message_ns;
    if (input.kind == InputKind::kClientGone) turn_cpu_ns_ += cpu.per_connection_ns;
    ++stats_.inputs;
    const size_t inbox_size = inbox_.size();
    Handle(input);
    KV_ASSERT(inbox_.size() == inbox_size);
    DropFrontInput();
  }
  node_->EndTurn();
  const core::Nanos cost = turn_cpu_ns_ + disk_.TakeCost();
  ++stats_.turns;
  stats_.busy_ns += cost;
  sim_.cpus().Occupy(turn_start_, cost);
  busy_until_ = turn_start_ + cost;
  FlushOutbox(busy_until_);
  PumpDisk(busy_until_);  // a sync the turn started begins once the turn's writes are issued.
  ScheduleRun();
}

void SimNode::PumpDisk(core::Nanos at) {
  if (!up() || !disk_.DeviceIdleWithWork()) return;
  const core::Nanos latency = disk_.BeginNextSync(disk_rng_);
  // The node's sync thread wakes to issue it, on a core (CpuModel::wake_ns, per_sync_ns); on a
  // shared device the sync then waits for the ones ahead of it (UnitPool).
  const core::Nanos woken = sim_.cpus().FreeAt(at);
  sim_.cpus().Occupy(woken, sim_.config().cpu.wake_ns + sim_.config().cpu.per_sync_ns);
  const core::Nanos start = sim_.disks().FreeAt(woken + sim_.config().cpu.wake_ns);
  sim_.disks().Occupy(start, latency);
  sim_.trace().Record("sync", at, {config_.self, static_cast<uint64_t>(latency)});
  sim_.Schedule(EventKind::kSyncDone, start + latency, config_.self, incarnation_, 0);
}

void SimNode::CompleteSync(uint32_t incarnation) {
  if (!up() || incarnation != incarnation_) return;  // the crash lost it with the device queue.
  SyncCompletion done = disk_.CompleteSync();
  Input input;
  input.kind = InputKind::kSyncDone;
  input.token = done.token;
  input.status = std::move(done.status);
  Enqueue(std::move(input));
  PumpDisk(sim_.now());
}

void SimNode::Handle(Input& input) {
  if (input.kind == InputKind::kTimer) {
    node_->OnTimer(input.token);
  } else if (input.kind == InputKind::kSyncDone) {
    node_->OnSyncDone(input.token, std::move(input.status));
  } else if (input.kind == InputKind::kClientGone) {
    // The socket's close: CPU only (charged in RunTurn); the policy keeps no client state.
  } else if (input.kind == InputKind::kPeerLost) {
    node_->OnPeerLost(static_cast<core::NodeId>(input.token));
  } else if (input.msg.type == core::MessageType::kClientRequest) {
    HandleClientRequest(input.msg);
  } else {
    node_->OnMessage(input.msg);
  }
}

void SimNode::HandleClientRequest(core::Message& msg) {
  auto& req = std::get<core::ClientRequest>(msg.body);
  const core::ReplyHandle handle = next_handle_++;
  requests_[handle] = PendingRequest{msg.from, req.request_id};
  absl::Status valid = core::ValidateCommand(req.command);
  if (!valid.ok()) {
    core::ClientReply reply;
    reply.status = core::ReplyStatus::kInvalid;
    reply.message = std::string(valid.message());
    Reply(handle, std::move(reply));
    return;
  }
  node_->OnClientRequest(handle, std::move(req.command));
}

void SimNode::FlushOutbox(core::Nanos at) {
  for (Outgoing& out : outbox_) sim_.Send(config_.self, out.to_endpoint, std::move(out.msg), at);
  outbox_.clear();
}

}  // namespace kvlab::sim

namespace kvlab::sim {

void SimNode::SetClock(core::Nanos offset_ns, int64_t drift_ppm) {
  KV_ASSERT(drift_ppm > -100'000 && drift_ppm < 100'000);
  clock_offset_ns_ = offset_ns;
  drift_ppm_ = drift_ppm;
}

void SimNode::JumpClock(core::Nanos forward_ns, int64_t drift_ppm) {
  KV_ASSERT(forward_ns >= 0);
  // Keep the local time continuous when the rate changes, then jump.
  const core::Nanos t = sim_.now();
  const core::Nanos before =
      t + clock_offset_ns_ + static_cast<core::Nanos>(static_cast<__int128>(t) * drift_ppm_ / 1'000'000);
  SetClock(0, drift_ppm);
  const core::Nanos after = t + static_cast<core::Nanos>(static_cast<__int128>(t) * drift_ppm_ / 1'000'000);
  clock_offset_ns_ = before - after + forward_ns;
}

}  // namespace kvlab::sim
