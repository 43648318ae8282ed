// core::Node: a replication policy's state machine as the runtime sees it. The runtime (sim or
// real) calls these handlers one at a time; every effect goes through the Env given at creation.
//
// Turns: the runtime calls handlers for every event that is ready, then EndTurn() once. A policy
// makes that turn's writes durable in EndTurn (one fsync covers them all: group commit) and only
// then releases their replies and messages that promise durability.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/kv/command.h"
#include "core/env.h"
#include "core/message.h"

namespace kvlab::core {

struct NodeConfig {
  NodeId self = 1;
  std::vector<NodeId> members;  // every node of the cluster, self included, sorted.
  bool fsync = true;            // false: writes reach the Disk but are never synced (--durability none).
};

class Node {
 public:
  virtual ~Node() = default;

  // Recovers state from disk and arms timers. An error (e.g. a corrupt log record in the middle)
  // means the node must not serve: the runtime reports it and stops the node.
  virtual absl::Status Start() = 0;
  // REQUIRES: ValidateCommand(cmd).ok(). Exactly one Env::Reply(handle, ...) follows, now or later.
  virtual void OnClientRequest(ReplyHandle handle, Command cmd) = 0;
  virtual void OnMessage(const Message& msg) = 0;
  virtual void OnTimer(TimerToken token) = 0;
  virtual void EndTurn() = 0;

  // `field:value` pairs for INFO's replication section and the simulator's reports.
  virtual std::vector<std::pair<std::string, std::string>> Info() const = 0;
  // Number of keys, for DBSIZE-style reporting outside the request path.
  virtual size_t KeyCount() const = 0;
  // True once this node serves requests without first waiting on the cluster (raft: it knows a
  // leader, and a leader has committed an entry of its term). A benchmark waits for every node to
  // be ready before it measures, as one waits for a cluster's health check.
  virtual bool Ready() const { return true; }
};

// Names accepted by MakeNode: "single" (more as policies are built).
std::vector<std::string> PolicyNames();

// InvalidArgument for an unknown policy or a configuration it cannot run (e.g. single with 3 nodes).
absl::StatusOr<std::unique_ptr<Node>> MakeNode(std::string_view policy, const NodeConfig& config, Env& env);

}  // namespace kvlab::core
