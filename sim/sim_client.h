// A workload client inside the simulator: each call sends a ClientRequest through the network
// model to its node and parks the calling fiber until the reply or the timeout. On a timeout or a
// retryable refusal it moves to the next node of the cluster for its following calls (failover).
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

  workloads::ClientResult Execute(const core::Command& cmd) override;

  // EndpointHandler
  void OnMessage(core::Message msg) override;
  void OnTimeout(uint64_t request_id) override;

 private:
  void Complete(workloads::ClientResult result);
  void FailOver();

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
};

}  // namespace kvlab::sim
