// A workload client inside the simulator: each call sends a ClientRequest through the network
// model to its node and parks the calling fiber until the reply or the timeout. On a timeout or a
// retryable refusal it moves to the next node of the cluster for its following calls (failover).
// Deadlines are lazy: a client keeps at most one kClientTimeout event on the agenda. Each call
// reserves the sequence number its own timeout event would have had; when the armed event fires
// and the call in flight has a later deadline, the event is re-armed at (deadline, reserved seq).
// The real timeout therefore fires at exactly the (time, seq) of the eager design, and the
// superseded deadlines of completed calls cost nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/sim_runtime.h"
#include "sim/simulator.h"
#include "workloads/client.h"

namespace kvlab::sim {

class SimClient final : public workloads::Client, public EndpointHandler {
 public:
  // `first_target` is the node this client talks to first.
  SimClient(SimRuntime& runtime, core::NodeId first_target);
  ~SimClient() override;

  workloads::ClientResult Execute(core::Command cmd) override;

  // EndpointHandler
  void OnMessage(core::Message&& msg) override;
  void OnTimeout(uint64_t seq) override;
  // As the real client: a call in flight to that node ends at once with its outcome unknown (a
  // write may have applied), and the following calls go to the next node.
  void OnConnectionClosed(core::NodeId node) override;

 private:
  void Complete(workloads::ClientResult result);
  void FailOver();
  void ArmDeadline();

  SimRuntime& runtime_;
  Simulator& sim_;
  Endpoint self_;
  core::NodeId target_;
  uint64_t next_request_id_ = 1;
  // The one call in flight (a client serves one fiber at a time).
  uint64_t pending_id_ = 0;
  workloads::Fiber* waiter_ = nullptr;
  bool done_ = true;
  workloads::ClientResult result_;
  // The deadline of the call in flight and its reserved sequence number.
  core::Nanos deadline_ = 0;
  uint64_t deadline_seq_ = 0;
  // True while a kClientTimeout event of this client is on the agenda.
  bool timeout_armed_ = false;
};

}  // namespace kvlab::sim
