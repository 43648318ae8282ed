// The list of policies: the one place that names them all.
#include "core/policy/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/abd/abd_policy.h"
#include "core/assert.h"
#include "core/chain/chain_policy.h"
#include "core/pb/pb_policy.h"
#include "core/quorum/quorum_policy.h"
#include "core/raft/raft_policy.h"
#include "core/single/single_policy.h"

namespace kvlab::core {

const std::vector<const PolicyInfo*>& Policies() {
  static const std::vector<const PolicyInfo*>* const policies = [] {
    auto* list = new std::vector<const PolicyInfo*>{&SinglePolicy(), &RaftPolicy(),   &PbPolicy(),
                                                    &AbdPolicy(),    &QuorumPolicy(), &ChainPolicy()};
    for (size_t i = 0; i < list->size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        KV_ASSERT((*list)[i]->name != (*list)[j]->name && (*list)[i]->tag != (*list)[j]->tag);
      }
    }
    return list;
  }();
  return *policies;
}

const PolicyInfo& DefaultPolicy() { return *Policies().front(); }

const PolicyInfo& DefaultReplicatedPolicy() {
  for (const PolicyInfo* p : Policies()) {
    if (p->default_nodes > 1) return *p;
  }
  KV_ASSERT(false);  // the registry lists a replicated policy.
  return DefaultPolicy();
}

std::string PolicyNameList() {
  std::vector<std::string> names;
  for (const PolicyInfo* p : Policies()) names.emplace_back(p->name);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<const PolicyInfo*> FindPolicy(std::string_view name) {
  for (const PolicyInfo* p : Policies()) {
    if (p->name == name) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown policy '", std::string(name), "' (known: ", PolicyNameList(), ")"));
}

std::string PolicyChoice::label() const {
  KV_ASSERT(info != nullptr);
  if (params.overrides().empty()) return std::string(info->name);
  return absl::StrCat(std::string(info->name), ":", params.overrides());
}

namespace {

// "key=value" -> (key, value); InvalidArgument naming `what` otherwise.
absl::StatusOr<std::pair<std::string, std::string>> SplitAssignment(std::string_view text, std::string_view what) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " '", std::string(text), "': expected name=value"));
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

}  // namespace

absl::StatusOr<PolicyChoice> ParsePolicyChoice(std::string_view text, const std::vector<std::string>& extra_params) {
  const std::vector<std::string> parts = absl::StrSplit(std::string(text), ':');
  absl::StatusOr<const PolicyInfo*> info = FindPolicy(parts[0]);
  if (!info.ok()) return info.status();
  std::vector<std::pair<std::string, std::string>> given;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::StatusOr<std::pair<std::string, std::string>> kv = SplitAssignment(parts[i], "policy parameter");
    if (!kv.ok()) return kv.status();
    given.push_back(*std::move(kv));
  }
  for (const std::string& p : extra_params) {
    absl::StatusOr<std::pair<std::string, std::string>> kv = SplitAssignment(p, "--param");
    if (!kv.ok()) return kv.status();
    const size_t dot = kv->first.find('.');
    const std::string policy((*info)->name);
    if (dot == std::string::npos || kv->first.substr(0, dot) != policy) {
      return absl::InvalidArgumentError(
          absl::StrCat("--param '", p, "': the name must start with the policy, as in ", policy, ".",
                       kv->first.substr(dot == std::string::npos ? 0 : dot + 1), "=", kv->second));
    }
    given.emplace_back(kv->first.substr(dot + 1), kv->second);
  }
  absl::StatusOr<PolicyParams> params = ParseParams((*info)->name, (*info)->params, given);
  if (!params.ok()) return params.status();
  if ((*info)->check_params != nullptr) {
    if (absl::Status s = (*info)->check_params(*params); !s.ok()) return s;
  }
  return PolicyChoice{*info, *std::move(params)};
}

Consistency PromiseOf(const PolicyChoice& choice) {
  KV_ASSERT(choice.info != nullptr);
  if (choice.info->promise_for != nullptr) return choice.info->promise_for(choice.params);
  return choice.info->promise;
}

PolicyChoice DefaultChoice() {
  absl::StatusOr<PolicyChoice> choice = ParsePolicyChoice(DefaultPolicy().name);
  KV_ASSERT(choice.ok());
  return *std::move(choice);
}

absl::Status CheckClusterSize(const PolicyInfo& info, int nodes) {
  if (nodes >= info.min_nodes && nodes <= info.max_nodes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("policy '", std::string(info.name), "' runs on ", info.min_nodes, "..",
                                                 info.max_nodes, " nodes, not ", nodes));
}

absl::StatusOr<std::unique_ptr<Node>> MakeNode(const PolicyChoice& choice, const NodeConfig& config, Env& env) {
  KV_ASSERT(choice.info != nullptr && choice.info->make != nullptr);
  const bool self_member = std::find(config.members.begin(), config.members.end(), config.self) != config.members.end();
  if (!self_member || !std::is_sorted(config.members.begin(), config.members.end())) {
    return absl::InvalidArgumentError(absl::StrCat("policy '", std::string(choice.info->name),
                                                   "' needs sorted members including node ", config.self));
  }
  if (absl::Status s = CheckClusterSize(*choice.info, static_cast<int>(config.members.size())); !s.ok()) return s;
  return choice.info->make(config, choice.params, env);
}

}  // namespace kvlab::core
