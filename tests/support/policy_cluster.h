// PolicyCluster: a cluster of nodes of one policy (e.g. "abd", "quorum:sloppy=true") on FakeEnvs,
// members 1..size, for core unit tests. Pump delivers the messages the nodes send (those `allow`
// lets through; the others are lost), completing every sync after each turn, until nothing is in
// flight. Timers never fire on their own: a test calls node(id).OnTimer(token).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/policy/registry.h"
#include "tests/support/fake_env.h"

namespace kvlab::core {

class PolicyCluster {
 public:
  explicit PolicyCluster(const std::string& policy, NodeId size = 3) : size_(size) {
    std::vector<NodeId> members;
    for (NodeId id = 1; id <= size; ++id) members.push_back(id);
    absl::StatusOr<PolicyChoice> choice = ParsePolicyChoice(policy);
    EXPECT_TRUE(choice.ok()) << choice.status();
    for (NodeId id = 1; id <= size; ++id) {
      envs_.push_back(std::make_unique<FakeEnv>(id, id));
      NodeConfig config{.self = id, .members = members, .fsync = true};
      absl::StatusOr<std::unique_ptr<Node>> node = MakeNode(*choice, config, *envs_.back());
      EXPECT_TRUE(node.ok()) << node.status();
      EXPECT_TRUE((*node)->Start().ok());
      nodes_.push_back(*std::move(node));
    }
  }
  Node& node(NodeId id) { return *nodes_[id - 1]; }
  FakeEnv& env(NodeId id) { return *envs_[id - 1]; }
  // The node as its concrete class (AbdNode, QuorumNode).
  template <typename T>
  T& as(NodeId id) {
    return static_cast<T&>(node(id));
  }
  NodeId size() const { return size_; }
  // Every node's clock moves to `now`.
  void SetNow(Nanos now) {
    for (auto& env : envs_) env->now = now;
  }

  using Filter = std::function<bool(const Message&)>;
  void Pump(const Filter& allow = [](const Message&) { return true; }) {
    for (bool moved = true; moved;) {
      moved = false;
      for (NodeId id = 1; id <= size_; ++id) {
        node(id).EndTurn();
        env(id).CompleteSyncs(node(id));
      }
      for (NodeId id = 1; id <= size_; ++id) {
        for (Message& m : env(id).TakeSent()) {
          moved = true;
          if (allow(m)) {
            node(m.to).OnMessage(m);
            node(m.to).EndTurn();
          }
        }
      }
    }
  }

 private:
  NodeId size_;
  std::vector<std::unique_ptr<FakeEnv>> envs_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

// Message filters for Pump.
inline uint8_t PeerKind(const Message& m) { return std::get<PeerMessage>(m.body).kind; }
inline bool Touches(const Message& m, NodeId id) { return m.from == id || m.to == id; }
inline bool Between(const Message& m, NodeId a, NodeId b) {
  return (m.from == a && m.to == b) || (m.from == b && m.to == a);
}
inline constexpr uint8_t kRegStoreKind = 2, kRegStoreAckKind = 3;  // indexes in RegisterMessage.

}  // namespace kvlab::core
