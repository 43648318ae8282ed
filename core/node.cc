// The policy registry: maps a --policy name to its Node implementation.
#include "core/node.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/single_node.h"

namespace kvlab::core {

std::vector<std::string> PolicyNames() { return {"single"}; }

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
  return absl::InvalidArgumentError(absl::StrCat("unknown policy '", std::string(policy),
                                                 "' (known: ", absl::StrJoin(PolicyNames(), ", "), ")"));
}

}  // namespace kvlab::core
