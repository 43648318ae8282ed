#include "sim/simulator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/bytes.h"

namespace kvlab::sim {

Simulator::Simulator(SimConfig config, std::string label, int nodes, uint64_t seed, NodeFactory factory)
    : config_(std::move(config)),
      label_(std::move(label)),
      seed_(seed),
      factory_(std::move(factory)),
      network_(config_.network, core::Rng::Derive(seed, "network")),
      cpus_(config_.cpu.cores),
      disks_(config_.disk.shared_devices),
      fault_rng_(core::Rng::Derive(seed, "faults")) {
  KV_ASSERT(nodes >= 1 && factory_ != nullptr);
  core::NodeConfig node_config;
  for (int i = 1; i <= nodes; ++i) node_config.members.push_back(static_cast<core::NodeId>(i));
  core::Rng clock_rng = core::Rng::Derive(seed, "clocks");
  for (int i = 1; i <= nodes; ++i) {
    node_config.self = static_cast<core::NodeId>(i);
    auto node = std::make_unique<SimNode>(*this, node_config, core::Rng::Derive(seed, absl::StrCat("node/", i)),
                                          core::Rng::Derive(seed, absl::StrCat("disk/", i)));
    const ClockModel& clock = config_.clock;
    // Two statements, not two arguments: argument evaluation order differs between compilers
    // (g++ right to left, clang left to right), and so would the draws.
    const core::Nanos skew = clock.max_skew_ns > 0 ? clock_rng.UniformRange(-clock.max_skew_ns, clock.max_skew_ns) : 0;
    const int64_t drift =
        clock.max_drift_ppm > 0 ? clock_rng.UniformRange(-clock.max_drift_ppm, clock.max_drift_ppm) : 0;
    node->SetClock(skew, drift);
    nodes_.push_back(std::move(node));
  }
}

Simulator::~Simulator() = default;

SimNode& Simulator::node(core::NodeId id) {
  KV_ASSERT(id >= 1 && id <= nodes_.size());
  return *nodes_[id - 1];
}

absl::Status Simulator::Start() {
  for (auto& node : nodes_) {
    absl::Status booted = node->Boot();
    if (!booted.ok()) return booted;
    trace_.Record("boot", now(), {node->self()});
  }
  return absl::OkStatus();
}

void Simulator::Schedule(EventKind kind, core::Nanos at, uint32_t target, uint32_t aux, uint64_t arg) {
  ScheduleWithSeq(kind, at, queue_.ReserveSeq(), target, aux, arg);
}

void Simulator::ScheduleWithSeq(EventKind kind, core::Nanos at, uint64_t seq, uint32_t target, uint32_t aux,
                                uint64_t arg) {
  Event ev;
  ev.kind = kind;
  ev.time = at;
  ev.seq = seq;
  ev.target = target;
  ev.aux = aux;
  ev.arg = arg;
  queue_.PushWithSeq(ev);
}

uint64_t Simulator::TakeSlot() {
  if (free_slots_.empty()) {
    in_flight_.emplace_back();
    return in_flight_.size() - 1;
  }
  const uint64_t slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void Simulator::Send(Endpoint from, Endpoint to, core::Message&& msg, core::Nanos at) {
  KV_ASSERT(at >= now());
  // The frame is encoded only for its size and digest: reuse one buffer instead of allocating.
  // Its header already carries the body's checksum, the digest the trace folds in.
  std::string& frame = frame_scratch_;
  core::EncodeMessageInto(msg, &frame);
  if (kCheckCodec) {
    // Receivers get the typed message; its bytes must decode to the same (a policy decodes its own
    // peer payloads, so those are checked at every delivery anyway).
    absl::StatusOr<core::Message> decoded = core::DecodeMessage(frame);
    KV_ASSERT(decoded.ok() && *decoded == msg);
  }
  const uint64_t body_checksum = core::FrameBodyChecksum(frame);
  const bool client_link = from >= kFirstClientEndpoint || to >= kFirstClientEndpoint;
  if (!client_link) ++peer_messages_;
  if (!client_link && is_control_ != nullptr && msg.type == core::MessageType::kPeer &&
      is_control_(std::get<core::PeerMessage>(msg.body))) {
    ++control_messages_;
  }
  const auto arrivals = network_.Route(at, from, to, frame.size(), !client_link);
  const bool held = arrivals.empty() && network_.IsHeld(from, to);
  trace_.Record("send", at,
                {from, to, static_cast<uint64_t>(msg.type), frame.size(), body_checksum, arrivals.size(), held});
  if (held) {  // parked in its slot until the link reopens.
    const uint64_t slot = TakeSlot();
    in_flight_[slot] = InFlight{.from = from, .to = to, .bytes = frame.size(), .msg = std::move(msg)};
    network_.Park(from, to, slot);
    return;
  }
  for (size_t i = 0; i < arrivals.size(); ++i) {
    // Written straight into its slot: the last (usually only) arrival takes the message itself.
    const uint64_t slot = TakeSlot();
    InFlight& flight = in_flight_[slot];
    flight.from = from;
    flight.to = to;
    flight.bytes = frame.size();
    if (i + 1 < arrivals.size()) {
      flight.msg = msg;
    } else {
      flight.msg = std::move(msg);
    }
    Schedule(EventKind::kDeliver, arrivals[i], to, 0, slot);
  }
}

Endpoint Simulator::AddClient(EndpointHandler* handler) {
  clients_.push_back(handler);
  return kFirstClientEndpoint + static_cast<Endpoint>(clients_.size() - 1);
}

void Simulator::RemoveClient(Endpoint endpoint) {
  KV_ASSERT(endpoint >= kFirstClientEndpoint && endpoint - kFirstClientEndpoint < clients_.size());
  clients_[endpoint - kFirstClientEndpoint] = nullptr;
}

void Simulator::CloseClientConnection(Endpoint client, core::NodeId node, core::Nanos at) {
  KV_ASSERT(at >= now() && node >= 1 && node <= nodes_.size());
  if (config_.cpu.per_connection_ns == 0) return;  // nothing for the node to pay.
  Schedule(EventKind::kClientGone, at + config_.network.latency_ns, node, 0, client);
}

void Simulator::Deliver(uint64_t slot) {
  const Endpoint from = in_flight_[slot].from;
  const Endpoint to = in_flight_[slot].to;
  const size_t bytes = in_flight_[slot].bytes;
  trace_.Record("recv", now(), {from, to, bytes});
  // Receivers take the message from its slot before they send anything (which could grow
  // in_flight_); the slot is reused only after they return.
  core::Message& msg = in_flight_[slot].msg;
  const size_t slots = in_flight_.size();
  if (to >= kFirstClientEndpoint) {
    EndpointHandler* client = clients_[to - kFirstClientEndpoint];
    if (client != nullptr) client->OnMessage(std::move(msg));
  } else {
    node(to).DeliverMessage(std::move(msg), bytes);
  }
  KV_ASSERT(in_flight_.size() == slots);  // `msg` stayed valid while the receiver held it.
  free_slots_.push_back(slot);
}

void Simulator::Dispatch(const Event& ev) {
  switch (ev.kind) {
    case EventKind::kDeliver: Deliver(ev.arg); return;
    case EventKind::kNodeRun:
      trace_.Record("run", ev.time, {ev.target, ev.aux});
      node(ev.target).RunTurn(ev.aux);
      return;
    case EventKind::kPeerLost:
      trace_.Record("peer_lost", ev.time, {ev.target, ev.arg});
      node(ev.target).DeliverPeerLost(static_cast<core::NodeId>(ev.arg));
      return;
    case EventKind::kTimer:
      trace_.Record("timer", ev.time, {ev.target, ev.aux, ev.arg});
      node(ev.target).FireTimer(ev.aux, ev.arg);
      return;
    case EventKind::kFiberWake:
      trace_.Record("wake", ev.time, {ev.arg});
      KV_ASSERT(fiber_waker_ != nullptr);
      fiber_waker_(ev.arg);
      return;
    case EventKind::kClientTimeout: {
      EndpointHandler* client = clients_[ev.target - kFirstClientEndpoint];
      if (client != nullptr) client->OnTimeout(ev.seq);
      return;
    }
    case EventKind::kClientClosed: {
      trace_.Record("client_closed", ev.time, {ev.target, ev.arg});
      EndpointHandler* client = clients_[ev.target - kFirstClientEndpoint];
      if (client != nullptr) client->OnConnectionClosed(static_cast<core::NodeId>(ev.arg));
      return;
    }
    case EventKind::kClientGone:
      trace_.Record("client_gone", ev.time, {ev.target, ev.arg});
      node(ev.target).DeliverClientGone();
      return;
    case EventKind::kFault:
      if (fault_handler_ != nullptr) fault_handler_(ev.arg);
      return;
    case EventKind::kSyncDone:
      trace_.Record("synced", ev.time, {ev.target, ev.aux});
      node(ev.target).CompleteSync(ev.aux);
      return;
  }
}

absl::Status Simulator::RunUntil(const std::function<bool()>& done, core::Nanos limit) {
  while (!done()) {
    if (queue_.empty()) return absl::OkStatus();
    if (queue_.top().time > limit) {
      return absl::DeadlineExceededError(
          absl::StrCat("no progress: virtual time passed ", limit / core::kNanosPerSecond, " s"));
    }
    const Event ev = queue_.Pop();
    ++events_;
    Dispatch(ev);
  }
  return absl::OkStatus();
}

// --- faults ---------------------------------------------------------------------------------------

void Simulator::CrashNode(core::NodeId id, bool tear_last_write, CrashKind kind) {
  trace_.Record("crash", now(), {id, tear_last_write});
  // One draw from the fault stream whatever the disk holds, so the rest of the fault schedule does
  // not depend on the policy's disk contents.
  core::Rng disk_rng(fault_rng_.Next());
  node(id).Crash(tear_last_write, disk_rng);
  // Drawn even when the kind is given, so the rest of the fault stream does not depend on it.
  const bool drawn = fault_rng_.ChancePpm(kProcessExitCrashPpm);
  const bool exits = kind == CrashKind::kDrawn ? drawn : kind == CrashKind::kProcessExit;
  trace_.Record("crash_kind", now(), {id, exits});
  if (exits) AnnounceClose(id);
}

// The FIN (or RST) of each connection of the dead process travels its link like a small message:
// a cut link loses it, a stalled one too (TCP would deliver it late; dropping it is the crueller
// choice: the peer then learns from its timeout), and a lossy one may lose it. Its clients'
// connections close too (client links are never cut).
void Simulator::AnnounceClose(core::NodeId dead) {
  for (const auto& peer : nodes_) {
    const Endpoint to = peer->self();
    if (to == dead || network_.IsBlocked(dead, to)) continue;
    for (core::Nanos at : network_.Route(now(), dead, to, kConnectionCloseBytes, /*may_duplicate=*/false)) {
      Schedule(EventKind::kPeerLost, at, to, 0, dead);
    }
  }
  for (size_t i = 0; i < clients_.size() && config_.network.close_reaches_clients; ++i) {
    if (clients_[i] == nullptr) continue;
    const Endpoint to = kFirstClientEndpoint + static_cast<Endpoint>(i);
    for (core::Nanos at : network_.Route(now(), dead, to, kConnectionCloseBytes, /*may_duplicate=*/false)) {
      Schedule(EventKind::kClientClosed, at, to, 0, dead);
    }
  }
}

absl::Status Simulator::RestartNode(core::NodeId id) {
  trace_.Record("restart", now(), {id});
  SimNode& n = node(id);
  if (n.up()) return absl::OkStatus();
  absl::Status booted = n.Boot();
  if (!booted.ok()) node_errors_.push_back(std::string(booted.message()));
  return booted;
}

void Simulator::PauseNode(core::NodeId id) {
  trace_.Record("pause", now(), {id});
  node(id).Pause();
}

void Simulator::ResumeNode(core::NodeId id) {
  trace_.Record("resume", now(), {id});
  node(id).Resume();
}

void Simulator::IsolateNode(core::NodeId id, bool buffered) {
  trace_.Record("isolate", now(), {id, buffered});
  for (core::NodeId other = 1; other <= nodes_.size(); ++other) {
    if (other == id) continue;
    network_.Block(id, other, buffered);
    network_.Block(other, id, buffered);
  }
}

void Simulator::ScheduleReleased(const std::vector<Network::Released>& released) {
  for (const Network::Released& r : released) {
    trace_.Record("release", now(),
                  {in_flight_[r.token].from, in_flight_[r.token].to, static_cast<uint64_t>(r.arrival)});
    Schedule(EventKind::kDeliver, r.arrival, in_flight_[r.token].to, 0, r.token);
  }
}

void Simulator::OpenLink(core::NodeId from, core::NodeId to) { ScheduleReleased(network_.Unblock(from, to, now())); }

void Simulator::HealNetwork() { ScheduleReleased(network_.HealAll(now())); }

bool Simulator::FlipDiskBit(core::NodeId id) {
  trace_.Record("bitflip", now(), {id});
  core::Rng disk_rng(fault_rng_.Next());
  return node(id).sim_disk().FlipRandomBit(disk_rng);
}

void Simulator::InjectIoError(core::NodeId id, bool syncs) {
  trace_.Record("ioerror", now(), {id, syncs});
  SimDisk& disk = node(id).sim_disk();
  if (syncs) {
    disk.FailSyncs(true);
  } else {
    disk.FailWrites(true);
  }
}

}  // namespace kvlab::sim
