// The policy registry: every replication policy declares itself once, in a PolicyInfo (its name,
// what it promises, the faults it claims to survive, the cluster sizes it runs on, its parameters
// and its factory). The simulator, the real node, the CLI and the conformance tests read policies
// only from here: nothing outside a policy's folder and this registry names a policy.
//
// Adding a policy: its folder under core/ defines a PolicyInfo (see docs/adding-a-policy.md), and
// one line in registry.cc lists it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"
#include "core/policy/policy_info.h"

namespace kvlab::core {

// Every policy, in the order `kvlab policies` lists them; the first is the default.
const std::vector<const PolicyInfo*>& Policies();
const PolicyInfo& DefaultPolicy();
// The default for a cluster of several nodes: the first policy whose default size is above one.
const PolicyInfo& DefaultReplicatedPolicy();
// InvalidArgument naming the known policies when `name` is none of them.
absl::StatusOr<const PolicyInfo*> FindPolicy(std::string_view name);
// "single, raft": for --help and error messages.
std::string PolicyNameList();

// A policy with its parameters, as chosen for a run: "raft" or "raft:election_timeout_ms=50..100"
// (a label with the parameters that differ from the defaults, so two settings of one policy can be
// compared as if they were two policies).
struct PolicyChoice {
  const PolicyInfo* info = nullptr;
  PolicyParams params;
  std::string label() const;
};

// What `choice` promises: its PolicyInfo's promise_for(params) if it has one, else its promise.
Consistency PromiseOf(const PolicyChoice& choice);

// The default policy with its default parameters.
PolicyChoice DefaultChoice();

// Parses "name[:param=value[:param=value...]]" and appends `extra` (from --param policy.key=value,
// whose policy prefix must name this policy). InvalidArgument with a one-line reason.
absl::StatusOr<PolicyChoice> ParsePolicyChoice(std::string_view text,
                                               const std::vector<std::string>& extra_params = {});

// InvalidArgument unless `nodes` is within the policy's sizes.
absl::Status CheckClusterSize(const PolicyInfo& info, int nodes);

// Builds a node of `choice`. InvalidArgument for a configuration the policy cannot run.
absl::StatusOr<std::unique_ptr<Node>> MakeNode(const PolicyChoice& choice, const NodeConfig& config, Env& env);

}  // namespace kvlab::core
