// Test harness for the raft policy's unit tests: a fake Env per node (MemDisk, manual clock,
// captured messages and replies) and a tiny in-memory cluster that delivers messages on demand
// and completes every sync a node starts at the end of each delivery round (unless holding them).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "core/env.h"
#include "core/raft/raft_node.h"
#include "tests/support/fake_env.h"

namespace kvlab::core::raft_test {

// The shared fake env; node ids 1..N seed their Rng as 100 + id.
class FakeEnv : public core::FakeEnv {
 public:
  explicit FakeEnv(NodeId id) : core::FakeEnv(id, 100 + id) {}
};

inline NodeConfig Members(NodeId self, int n) {
  NodeConfig c;
  c.self = self;
  for (int i = 1; i <= n; ++i) c.members.push_back(static_cast<NodeId>(i));
  return c;
}

// N nodes wired together by hand: Deliver() moves messages until none is left (optionally
// dropping those to/from a cut node), Advance() moves every clock and fires the tick timer.
class Cluster {
 public:
  explicit Cluster(int n, RaftOptions options = {}) : Cluster(n, n, options) {}
  // Nodes 1..initial form the cluster; the rest start as joiners (NodeConfig::join), outside it
  // until a membership change adds them.
  Cluster(int n, int initial, RaftOptions options) : options_(options), initial_(initial) {
    for (int i = 1; i <= n; ++i) {
      envs_.push_back(std::make_unique<FakeEnv>(static_cast<NodeId>(i)));
      nodes_.emplace_back();
    }
    for (int i = 1; i <= n; ++i) Boot(static_cast<NodeId>(i));
  }

  void Boot(NodeId id) {
    const bool joins = static_cast<int>(id) > initial_;
    NodeConfig config = Members(id, joins ? static_cast<int>(envs_.size()) : initial_);
    config.join = joins;
    nodes_[id - 1] = std::make_unique<RaftNode>(config, env(id), options_);
    ASSERT_TRUE(nodes_[id - 1]->Start().ok());
  }
  // Power loss on `id`: memory gone, disk keeps what was synced.
  void Crash(NodeId id) {
    nodes_[id - 1].reset();
    env(id).mem_disk.Crash();
    env(id).sent.clear();
  }

  RaftNode* node(NodeId id) { return nodes_[id - 1].get(); }
  FakeEnv& env(NodeId id) { return *envs_[id - 1]; }
  int size() const { return static_cast<int>(nodes_.size()); }

  void Deliver(int max_rounds = 1000) {
    for (int round = 0; round < max_rounds; ++round) {
      CompleteSyncs();
      std::vector<Message> all;
      for (auto& e : envs_) {
        for (Message& m : e->TakeSent()) all.push_back(std::move(m));
      }
      if (all.empty()) return;
      std::vector<bool> touched(nodes_.size(), false);
      for (Message& m : all) {
        if (cut_.count(m.from) || cut_.count(m.to) || m.to < 1 || m.to > nodes_.size()) continue;
        if (node(m.to) == nullptr) continue;
        node(m.to)->OnMessage(m);
        touched[m.to - 1] = true;
      }
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (touched[i] && nodes_[i]) nodes_[i]->EndTurn();
      }
    }
  }

  void Advance(Nanos dt) {
    for (auto& e : envs_) e->now += dt;
    for (auto& n : nodes_) {
      if (!n) continue;
      n->OnTimer(1);
      n->EndTurn();
    }
    Deliver();
  }
  // Advances in ticks until `pred` holds or `limit` passes; returns pred().
  template <typename Pred>
  bool RunUntil(Pred pred, Nanos limit = Seconds(5)) {
    for (Nanos t = 0; t < limit && !pred(); t += kRaftTick) Advance(kRaftTick);
    return pred();
  }
  // The uncut leader with the highest term, or kNoNode.
  NodeId Leader() {
    NodeId found = kNoNode;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const NodeId id = static_cast<NodeId>(i + 1);
      if (!nodes_[i] || nodes_[i]->role() != RaftRole::kLeader || cut_.count(id)) continue;
      if (found == kNoNode || node(found)->term() < nodes_[i]->term()) found = id;
    }
    return found;
  }
  // Completes the pending syncs of every node whose syncs are not held.
  void CompleteSyncs() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const NodeId id = static_cast<NodeId>(i + 1);
      if (nodes_[i] && !hold_syncs_.count(id)) env(id).CompleteSyncs(*nodes_[i]);
    }
  }
  // While held, `id`'s syncs stay pending (a slow disk).
  void HoldSyncs(NodeId id, bool hold) {
    if (hold) {
      hold_syncs_[id] = true;
    } else {
      hold_syncs_.erase(id);
    }
  }
  void Cut(NodeId id) { cut_[id] = true; }
  void Heal() { cut_.clear(); }

 private:
  RaftOptions options_;
  int initial_ = 0;
  std::vector<std::unique_ptr<FakeEnv>> envs_;
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::map<NodeId, bool> cut_;
  std::map<NodeId, bool> hold_syncs_;
};

}  // namespace kvlab::core::raft_test
