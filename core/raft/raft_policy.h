// The `raft` policy's entry in the registry (core/policy/registry.cc).
#pragma once

#include "core/policy/policy_info.h"
#include "core/raft/raft_config.h"

namespace kvlab::core {

const PolicyInfo& RaftPolicy();
// The raft.* parameters as the node's options. REQUIRES: params parsed against RaftPolicy().
RaftOptions RaftOptionsFrom(const PolicyParams& params);

}  // namespace kvlab::core
