// The discrete-event simulator: one thread, one agenda ordered by (virtual time, sequence), every
// random decision from streams derived from the run seed. It hosts the nodes (SimNode), routes
// messages through the network model, drives timers, client fibers and faults, and folds every
// event into the trace hash. A run is a pure function of (configuration, policy, seed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/message.h"
#include "core/rng.h"
#include "sim/event_queue.h"
#include "sim/network.h"
#include "sim/sim_config.h"
#include "sim/sim_node.h"
#include "sim/trace.h"
#include "sim/unit_pool.h"

namespace kvlab::sim {

// Client endpoints are numbered from here; node endpoints are their NodeIds (1..N).
inline constexpr Endpoint kFirstClientEndpoint = 1'000'000;
// Half of all crashes are process exits that close their connections; the rest are silent.
inline constexpr uint32_t kProcessExitCrashPpm = 500'000;
// A FIN or RST on the wire (its link's bandwidth and latency apply).
inline constexpr size_t kConnectionCloseBytes = 64;
// Debug builds (the CI sweeps) decode every frame the simulator sends and compare it with the
// typed message: a field an encoder leaves out fails in simulation, not first on real sockets.
#ifdef NDEBUG
inline constexpr bool kCheckCodec = false;
#else
inline constexpr bool kCheckCodec = true;
#endif
// A run that is still going after this much virtual time has stopped making progress.
inline constexpr core::Nanos kDefaultVirtualTimeLimit = core::Seconds(3600);

// Receives what the simulator delivers to a client endpoint and what it schedules for fibers.
class EndpointHandler {
 public:
  virtual ~EndpointHandler() = default;
  // `msg` lives in the simulator's in-flight table: take what is needed from it before sending
  // anything.
  virtual void OnMessage(core::Message&& msg) = 0;
  // A kClientTimeout event for this endpoint fires now; `seq` is its sequence number (see
  // Simulator::ScheduleWithSeq).
  virtual void OnTimeout(uint64_t seq) = 0;
  // The process of `node` exited and its connection to this endpoint closed (a FIN or RST).
  virtual void OnConnectionClosed(core::NodeId node) = 0;
};

// Makes a node's state machine: the run's policy (core::MakeNode with its PolicyChoice), or a
// purpose-built node in tests.
using NodeFactory = std::function<absl::StatusOr<std::unique_ptr<core::Node>>(const core::NodeConfig&, core::Env&)>;

class Simulator {
 public:
  // `label` names the policy in reports (e.g. "raft:election_timeout_ms=50..100").
  Simulator(SimConfig config, std::string label, int nodes, uint64_t seed, NodeFactory factory);
  ~Simulator();

  // Boots every node. Errors: InvalidArgument for a bad policy/cluster, else a node's boot error.
  absl::Status Start();

  // Runs events until `done()` holds (checked after each event), the agenda empties, or virtual
  // time passes `limit`. Returns DeadlineExceeded in the last case.
  absl::Status RunUntil(const std::function<bool()>& done, core::Nanos limit = kDefaultVirtualTimeLimit);

  // --- used by nodes, clients and the runtime -------------------------------------------------
  core::Nanos now() const { return queue_.now(); }
  void Schedule(EventKind kind, core::Nanos at, uint32_t target, uint32_t aux, uint64_t arg);
  // A sequence number for an event that may be scheduled later, sorting as if scheduled now.
  uint64_t ReserveSeq() { return queue_.ReserveSeq(); }
  // Schedules with a reserved seq. REQUIRES: (at, seq) after the event being executed.
  void ScheduleWithSeq(EventKind kind, core::Nanos at, uint64_t seq, uint32_t target, uint32_t aux, uint64_t arg);
  // Sends `msg` from `from` at time `at` (>= now) through the network model; takes the message.
  void Send(Endpoint from, Endpoint to, core::Message&& msg, core::Nanos at);
  Endpoint AddClient(EndpointHandler* handler);
  void RemoveClient(Endpoint endpoint);
  // `client` closes its connection to `node` at `at` (>= now): the FIN reaches the node one link
  // latency later, and costs it CpuModel::per_connection_ns (dropped if the node is down then).
  void CloseClientConnection(Endpoint client, core::NodeId node, core::Nanos at);
  // Fibers are resumed by the runtime; the simulator only delivers kFiberWake events to it.
  void SetFiberWaker(std::function<void(uint64_t)> waker) { fiber_waker_ = std::move(waker); }
  void SetFaultHandler(std::function<void(uint64_t)> handler) { fault_handler_ = std::move(handler); }

  // --- faults (the simulator's own controls; the core never sees them) -------------------------
  // A crash is a process exit (killed, aborted: the kernel closes its connections, and each peer
  // the network lets hear it is told, Node::OnPeerLost, one link delay later) or, as often, a
  // machine's power loss (silence: peers learn only from timeouts). Which one: one draw from the
  // fault stream.
  // What dies: the process (its host closes its connections: AnnounceClose) or the whole machine
  // (silence); kDrawn: the fault stream draws which. Not modelled: a host whose process exited
  // refuses new connections at once; here a request sent to it after the close is lost (the
  // client waits out its timeout), which keeps a closed-loop client from spinning on refusals.
  enum class CrashKind { kDrawn, kMachine, kProcessExit };
  void CrashNode(core::NodeId id, bool tear_last_write, CrashKind kind = CrashKind::kDrawn);
  // Boots a crashed node from its disk; a recovery error leaves it down and is returned.
  absl::Status RestartNode(core::NodeId id);
  void PauseNode(core::NodeId id);
  void ResumeNode(core::NodeId id);
  // Cuts `id` off from every other node (both directions); clients still reach it. A buffered
  // cut holds what is sent and delivers it after the heal (TCP-like), else it is dropped.
  void IsolateNode(core::NodeId id, bool buffered = false);
  void BlockLink(core::NodeId from, core::NodeId to, bool buffered = false) { network_.Block(from, to, buffered); }
  // Reopens one link; what it held is delivered late (Network::Unblock).
  void OpenLink(core::NodeId from, core::NodeId to);
  // Reopens every link; what they held is delivered late.
  void HealNetwork();
  bool FlipDiskBit(core::NodeId id);
  // The node's disk answers every write (or, with `syncs`, every sync) with EIO until it crashes.
  void InjectIoError(core::NodeId id, bool syncs);

  int node_count() const { return static_cast<int>(nodes_.size()); }
  SimNode& node(core::NodeId id);
  const std::string& label() const { return label_; }
  const NodeFactory& factory() const { return factory_; }
  uint64_t seed() const { return seed_; }
  const SimConfig& config() const { return config_; }
  Network& network() { return network_; }
  UnitPool& cpus() { return cpus_; }
  UnitPool& disks() { return disks_; }
  Trace& trace() { return trace_; }
  core::Rng& fault_rng() { return fault_rng_; }
  uint64_t events() const { return events_; }
  // Events on the agenda, not yet executed.
  size_t pending_events() const { return queue_.size(); }
  // Messages sent between nodes (client traffic excluded).
  uint64_t peer_messages() const { return peer_messages_; }
  // Of those, the ones `is_control` (the policy's PolicyInfo::control_message) calls control
  // traffic rather than the data path.
  void CountControlMessages(bool (*is_control)(const core::PeerMessage& m)) { is_control_ = is_control; }
  uint64_t control_messages() const { return control_messages_; }
  // Errors of nodes that failed to boot after a restart, in order.
  const std::vector<std::string>& node_errors() const { return node_errors_; }

 private:
  struct InFlight {
    Endpoint from = 0;
    Endpoint to = 0;
    size_t bytes = 0;
    core::Message msg;
  };
  void Dispatch(const Event& ev);
  void Deliver(uint64_t slot);
  // Tells every peer the network lets hear it that `dead`'s connections closed.
  void AnnounceClose(core::NodeId dead);
  void ScheduleReleased(const std::vector<Network::Released>& released);
  // A free payload slot (reused or new); the caller fills it.
  uint64_t TakeSlot();

  SimConfig config_;
  std::string label_;
  uint64_t seed_;
  NodeFactory factory_;
  EventQueue queue_;
  Network network_;
  UnitPool cpus_;
  UnitPool disks_;
  core::Rng fault_rng_;  // every fault's random choices: identical across policies for one seed.
  Trace trace_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<EndpointHandler*> clients_;
  std::vector<InFlight> in_flight_;  // payloads of pending deliveries, by slot.
  std::vector<uint64_t> free_slots_;
  std::string frame_scratch_;  // Send's encoding buffer, reused.
  std::function<void(uint64_t)> fiber_waker_;
  std::function<void(uint64_t)> fault_handler_;
  uint64_t events_ = 0;
  uint64_t peer_messages_ = 0;
  uint64_t control_messages_ = 0;
  bool (*is_control_)(const core::PeerMessage& m) = nullptr;
  std::vector<std::string> node_errors_;
};

}  // namespace kvlab::sim
