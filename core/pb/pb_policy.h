// The `pb` policy's entry in the registry (core/policy/registry.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/policy/policy_info.h"
#include "core/view/view_service.h"

namespace kvlab::core {

const PolicyInfo& PbPolicy();

// Shared with the chain policy (core/chain), which runs the same node in chain topology.
// The view service runs on raft over every node: it needs a majority.
int ViewMinority(int nodes);
ViewServiceOptions ViewOptionsFrom(const PolicyParams& params);
// The lease rule between the view parameters; errors name `policy`'s parameters.
absl::Status CheckViewParams(const PolicyParams& params, std::string_view policy);
std::vector<ParamSpec> ViewParams();  // heartbeat_ms, lease_ms, lapse_ms.
// What both policies declare alike: 3 nodes by default, linearizable, durable, a minority may
// fail, the view parameters.
PolicyInfo ViewPolicyBase();
absl::StatusOr<std::string> InspectViewStore(Disk& disk, const char* file_prefix);
absl::StatusOr<PeerMessage> ReencodeViewPeer(const PeerMessage& m, uint8_t tag);

}  // namespace kvlab::core
