// A hand-stepped cluster of PbNodes over FakeEnvs, for the pb and chain rule tests: every step
// advances each clock by kStep, fires every armed timer, completes the syncs started so far and
// delivers the messages sent (except to or from nodes the test cut off).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/pb/pb_node.h"
#include "tests/support/fake_env.h"

namespace kvlab::core::pbtest {

constexpr Nanos kStep = Millis(10);

inline PbOptions WithMode(PbMode mode) {
  PbOptions o;
  o.mode = mode;
  return o;
}

inline std::string InfoOf(const Node& n, const std::string& field) {
  for (const auto& [k, v] : n.Info()) {
    if (k == field) return v;
  }
  return "";
}

class Cluster {
 public:
  explicit Cluster(int n, PbMode mode = PbMode::kSync) : Cluster(n, WithMode(mode)) {}
  Cluster(int n, PbOptions o) {
    NodeConfig config;
    for (int i = 1; i <= n; ++i) config.members.push_back(static_cast<NodeId>(i));
    for (int i = 1; i <= n; ++i) {
      config.self = static_cast<NodeId>(i);
      envs_.push_back(std::make_unique<FakeEnv>(config.self, 100 + i));
      nodes_.push_back(std::make_unique<PbNode>(config, *envs_.back(), o));
      EXPECT_TRUE(nodes_.back()->Start().ok());
    }
  }

  PbNode& node(NodeId id) { return *nodes_[id - 1]; }
  FakeEnv& env(NodeId id) { return *envs_[id - 1]; }
  void Cut(NodeId id) { cut_.insert(id); }
  // The node's syncs stay pending until released (a slow disk).
  std::set<NodeId> hold_syncs;
  void Heal() { cut_.clear(); }
  // Intercepts messages: returning true drops the message (the test keeps it).
  std::function<bool(const Message&)> intercept;

  void Step() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      FakeEnv& e = *envs_[i];
      PbNode& n = *nodes_[i];
      e.now += kStep;
      std::vector<TimerToken> timers = std::move(e.timers);
      e.timers.clear();
      for (TimerToken t : timers) n.OnTimer(t);
      n.EndTurn();
      if (!hold_syncs.contains(static_cast<NodeId>(i + 1))) e.CompleteSyncs(n);
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      for (Message& m : envs_[i]->TakeSent()) {
        if (cut_.contains(m.from) || cut_.contains(m.to)) continue;
        if (intercept && intercept(m)) continue;
        PbNode& to = node(m.to);
        to.OnMessage(m);
        to.EndTurn();
      }
    }
  }
  void Run(Nanos d) {
    for (Nanos t = 0; t < d; t += kStep) Step();
  }
  // The head (pb: the primary) that serves, if any.
  NodeId Primary() {
    for (auto& n : nodes_) {
      if (n->primary() && n->active() && !cut_.contains(n->view_service().view().primary())) {
        return n->view_service().view().primary();
      }
    }
    return kNoNode;
  }
  // Sends `cmd` as a client request at `at`; runs until it is answered (or `limit` passes).
  ClientReply Request(NodeId at, Command cmd, Nanos limit = Seconds(3)) {
    const ReplyHandle h = next_handle_++;
    node(at).OnClientRequest(h, std::move(cmd));
    node(at).EndTurn();
    for (Nanos t = 0; t < limit && !env(at).replies.contains(h); t += kStep) Step();
    if (!env(at).replies.contains(h)) return ClientReply{0, ReplyStatus::kUnknown, "no reply", {}};
    return env(at).replies[h];
  }

 private:
  std::vector<std::unique_ptr<FakeEnv>> envs_;
  std::vector<std::unique_ptr<PbNode>> nodes_;
  std::set<NodeId> cut_;
  ReplyHandle next_handle_ = 1;
};

}  // namespace kvlab::core::pbtest
