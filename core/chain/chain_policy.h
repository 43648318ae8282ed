// The `chain` policy's entry in the registry (core/policy/registry.cc): chain replication with
// tail or CRAQ reads. It runs the pb node (core/pb/pb_node.h) in chain topology, reconfigured by
// the same view service; the chain's rules are described there.
#pragma once

#include <cstdint>

#include "core/policy/policy_info.h"

namespace kvlab::core {

inline constexpr uint8_t kChainPolicyTag = 15;
inline constexpr char kChainFilePrefix[] = "chain.";
inline constexpr char kChainWalFile[] = "chain.wal";
inline constexpr char kChainSnapshotFile[] = "chain.snapshot";

const PolicyInfo& ChainPolicy();

}  // namespace kvlab::core
