// A blocking look at a running node, for the cluster launcher's control channel: its INFO
// replication fields over one short RESP connection. Bounded by a timeout (a paused node does not
// answer) and by kMaxProbeReplyBytes.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::real {

inline constexpr core::Nanos kProbeTimeout = core::Millis(250);
inline constexpr size_t kMaxProbeReplyBytes = 64 * 1024;

// "INFO replication" on 127.0.0.1:port: the "key:value" lines as a map. kUnavailable on no answer.
absl::StatusOr<std::map<std::string, std::string>> ProbeReplication(int port, core::Nanos timeout = kProbeTimeout);

// What the launcher reads from a probe: whether the node leads now (role leader, primary or single)
// and its term (raft's term, pb's epoch; 0 without), and its applied / committed positions (raft:
// applied_index, commit_index; pb: last_lsn, committed; -1 when the policy has none).
struct NodeView {
  std::string role;
  bool leads = false;
  uint64_t term = 0;
  int64_t applied = -1;
  int64_t commit = -1;
};
NodeView ViewOf(const std::map<std::string, std::string>& info);

}  // namespace kvlab::real
