// The start-up check of a node's data dir against its flags (the record: data_dir_meta.h).
//
// - A dir with a record: the policy, this node's id and the member ids must be the ones recorded
//   (and the cluster id too when --cluster-token is given); else the node refuses to start.
//   Membership is fixed at bootstrap for now (raft has no reconfiguration yet). A member's peer
//   address may change (a node moved; raft's safety rests on the member set, not on addresses):
//   the new address is recorded and the change logged.
// - A dir without a record: if it holds another policy's files it is refused; otherwise the
//   flags are recorded (a new dir is bootstrapped; a dir an older kvlab made is adopted).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"
#include "real/data_dir_meta.h"

namespace kvlab::real {

struct DataDirCheck {
  bool recorded_now = false;       // the record was written by this start.
  std::vector<std::string> notes;  // lines for the node's log (bootstrap, adoption, moved peers).
};

// REQUIRES: `disk` is `dir`'s and this process holds its lock. `flags` is MetaOfFlags(...);
// `token_given`: whether --cluster-token was set (only then is the cluster id compared).
// FailedPrecondition, with one line that names both configurations, when they disagree (or naming
// the record when it cannot be read).
absl::StatusOr<DataDirCheck> CheckDataDir(core::Disk& disk, const std::string& dir, const DataDirMeta& flags,
                                          bool token_given);

}  // namespace kvlab::real
