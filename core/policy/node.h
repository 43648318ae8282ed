// core::Node: a replication policy's state machine as the runtime sees it. The runtime (sim or
// real) calls these handlers one at a time; every effect goes through the Env given at creation.
//
// Turns: the runtime calls handlers for every event that is ready, then EndTurn() once. EndTurn
// starts (at most one) Disk::StartSync covering the turn's writes; replies and messages that
// promise durability are released in the turn whose OnSyncDone covers them (group commit: writes
// arriving while a sync is in flight are covered by the next one).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/env.h"
#include "core/kv/command.h"
#include "core/kv/kv_state.h"
#include "core/message.h"

namespace kvlab::core {

struct NodeConfig {
  NodeId self = 1;
  std::vector<NodeId> members;  // every node of the cluster, self included, sorted.
  bool fsync = true;            // false: writes reach the Disk but are never synced (--durability none).
  // This node joins a running cluster (policies with membership changes: raft): it starts with no
  // configuration and learns one, with itself in it, from the leader once a member adds it.
  bool join = false;
};

// What a node says of itself, as typed fields: for INFO's replication section, the simulator's
// leader-aware faults (crash_leader), convergence checks and tests. Each policy fills in what it
// has; a field it lacks keeps its zero value.
struct NodeStatus {
  const char* role = "";       // the policy's own word for its role (leader, follower, ...).
  bool leads = false;          // it serves as the cluster's leader (or primary, or head) now.
  uint64_t term = 0;           // the leader's term, or the configuration epoch.
  NodeId leader = kNoNode;     // the leader it knows of (itself when it leads).
  uint64_t commit_index = 0;   // highest position known committed.
  uint64_t applied_index = 0;  // position of the last command applied to the state: two replicas
                               // at equal applied_index hold equal states (0 if not applicable).
  bool failed = false;         // a storage error stopped it (it serves no more until restarted).
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
  // A Disk::StartSync finished: `status` is OK when everything appended to that file before the
  // StartSync is durable. Called as a turn's input like a message or timer; EndTurn follows.
  virtual void OnSyncDone(SyncToken token, absl::Status status) = 0;
  // The runtime saw `peer` close its connections: its process exited or was killed (the kernel
  // closes a dead process's sockets), as opposed to a peer that merely went silent. A hint, never
  // a fact to rely on for safety: it may come late, twice, or never (a machine that lost power or
  // a cut link closes nothing), and the peer may already be back. A turn's input; EndTurn follows.
  virtual void OnPeerLost(NodeId peer) { (void)peer; }
  virtual void EndTurn() = 0;

  // `field:value` pairs for INFO's replication section and the simulator's reports.
  virtual std::vector<std::pair<std::string, std::string>> Info() const = 0;
  virtual NodeStatus Status() const = 0;
  // The state machine as applied so far (replica comparison after a run); null before Start.
  virtual const KvState* AppliedState() const = 0;
  // Number of keys, for DBSIZE-style reporting outside the request path.
  virtual size_t KeyCount() const = 0;
  // Partial replication: the nodes that should hold `key` (its preference list). Empty (the
  // default): every node holds every key, and replicas are compared whole at equal applied_index.
  virtual std::vector<NodeId> ReplicasOf(std::string_view key) const { return {}; }
  // True once this node serves requests without first waiting on the cluster (raft: it knows a
  // leader, and a leader has committed an entry of its term). A benchmark waits for every node to
  // be ready before it measures, as one waits for a cluster's health check.
  virtual bool Ready() const { return true; }
  // The membership this node uses now, for policies whose membership changes while they run (raft:
  // the latest configuration in its log, committed or not). Null: the membership is NodeConfig's,
  // fixed. Empty: a joining node that has not learned one yet. The real runtime dials the members
  // it adds and records the membership in the data dir; the pointer stays valid while the node lives.
  virtual const std::vector<Member>* Membership() const { return nullptr; }
};

}  // namespace kvlab::core
