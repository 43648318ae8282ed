// The policy registry: maps a --policy name to its Node implementation.
#include "core/policy/node.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/raft/raft_node.h"
#include "core/single/single_node.h"

namespace kvlab::core {

std::vector<std::string> PolicyNames() { return {"single", "raft"}; }

absl::StatusOr<std::unique_ptr<Node>> MakeNode(std::string_view policy, const NodeConfig& config,
                                               Env& env) {
  if (policy == "single") {
    if (config.members.size() != 1 || config.members[0] != config.self) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy 'single' runs on exactly 1 node (itself), got ", config.members.size(),
                       " members"));
    }
    return std::unique_ptr<Node>(new SingleNode(config, env));
  }
  if (policy == "raft") {
    const bool self_member =
        std::find(config.members.begin(), config.members.end(), config.self) != config.members.end();
    if (config.members.empty() || config.members.size() > kRaftMaxMembers || !self_member ||
        !std::is_sorted(config.members.begin(), config.members.end())) {
      return absl::InvalidArgumentError(absl::StrCat("policy 'raft' needs 1..", kRaftMaxMembers,
                                                     " sorted members including itself, got ",
                                                     config.members.size()));
    }
    return std::unique_ptr<Node>(new RaftNode(config, env));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown policy '", std::string(policy),
                                                 "' (known: ", absl::StrJoin(PolicyNames(), ", "), ")"));
}

}  // namespace kvlab::core
